"""The domain model, one module per aggregate. Importing this registers every table."""

from .audit import AuditEvent
from .availability import Availability, AvailabilitySpecialty, AvailabilityTrust
from .data_versions import DataVersion
from .learning import GoalConfirmation, LearningGoal, PlacementEvaluation, SurveyResponse
from .lottery import LotterySeed
from .matching import Forbid, Match, MatchingRun, MatchingRunData
from .notifications import Notification, Subscription
from .periods import Period
from .reference import Department, Municipality, Policy, Region, Site, Specialty, Trust
from .rounds import ApplicationRound
from .run_records import RunBlockingPair, RunGPReasons, RunRegion
from .users import (
    GP,
    ApiToken,
    EmailToken,
    LoginAttempt,
    RecoveryCode,
    User,
    UserMunicipality,
)
from .webhooks import TrustWebhook, WebhookDelivery

__all__ = [
    "ApplicationRound",
    "ApiToken",
    "AuditEvent",
    "DataVersion",
    "EmailToken",
    "Availability",
    "AvailabilitySpecialty",
    "AvailabilityTrust",
    "Department",
    "Forbid",
    "GP",
    "GoalConfirmation",
    "LearningGoal",
    "LoginAttempt",
    "LotterySeed",
    "Match",
    "MatchingRun",
    "MatchingRunData",
    "Municipality",
    "Notification",
    "Period",
    "PlacementEvaluation",
    "Policy",
    "RecoveryCode",
    "Region",
    "RunBlockingPair",
    "RunGPReasons",
    "RunRegion",
    "Site",
    "Specialty",
    "Subscription",
    "SurveyResponse",
    "Trust",
    "TrustWebhook",
    "User",
    "WebhookDelivery",
    "UserMunicipality",
]
