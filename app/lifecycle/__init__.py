"""The lifecycle: the one owner of every status change of a period, a match and an
availability window. Each transition checks the state, changes it (``set_status``, which
knows the allowed transitions), writes the audit record and queues the notifications, then
flushes; the edge (request, job, command) commits once. Nothing else writes a status: an ORM
guard (``install_guard``) refuses it.

Call it as ``lifecycle.offer(...)`` after ``from app import lifecycle``.
"""

from .availability import (
    answer_match,
    check_editable,
    create_availability,
    set_availability_status,
    update_availability,
)
from .matches import (
    accept,
    assign,
    awaits_choice,
    cancel,
    choose,
    confirm,
    decline,
    expire_offers,
    follow_match,
    forbid,
    keep_proposal,
    offer,
    propose,
    record_hired,
    supersede,
    unpin,
)
from .periods import (
    advertise_due,
    offer_period,
    publish_period,
    publish_periods,
    record_period_hired,
    update_period,
    withdraw_period,
)
from .transitions import TRANSITIONS, IllegalTransition, StatusWriteOutsideLifecycle, install_guard

__all__ = [
    "TRANSITIONS",
    "IllegalTransition",
    "StatusWriteOutsideLifecycle",
    "accept",
    "advertise_due",
    "answer_match",
    "assign",
    "awaits_choice",
    "cancel",
    "choose",
    "check_editable",
    "confirm",
    "create_availability",
    "decline",
    "expire_offers",
    "follow_match",
    "forbid",
    "install_guard",
    "keep_proposal",
    "offer",
    "offer_period",
    "propose",
    "publish_period",
    "publish_periods",
    "record_hired",
    "record_period_hired",
    "set_availability_status",
    "supersede",
    "unpin",
    "update_availability",
    "update_period",
    "withdraw_period",
]
