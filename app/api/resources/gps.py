"""GPs: self-registration and the caller's own account and profile (/me). The rules are
app.auth.services and app.main.services; a GP's id here is the gp_id everywhere else.

Self-registration is throttled per address: at most REGISTRATION_MAX_PER_ADDRESS (10)
attempts that reach the account rules within REGISTRATION_WINDOW_MINUTES (60), then 429.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, request

from app import access
from app.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from app.auth.passwords import MIN_DIFFERENT as PASSWORD_DIFFERENT
from app.auth.passwords import MIN_LENGTH as PASSWORD_MIN
from app.auth.passwords import password_problem
from app.auth.recovery import send_verification
from app.auth.services import (
    AccountError,
    GPRegistration,
    normalise_email,
    record_registration_attempt,
    register_gp,
    registration_wait_minutes,
)
from app.errors import BrokenRule, Conflict, Forbidden, InvalidInput, TooManyRequests
from app.extensions import db
from app.gps import verification
from app.i18n import _from_accept_language
from app.main.services import save_gp_profile
from app.models import GP, Municipality, User
from app.models.users import LOCALES, ROLES, SCHEMES
from app.unit_of_work import attempt

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import Text
from .fields import NAME_MAX, day, email, error_docs, object_id

blp = Blueprint(
    "api_gps",
    __name__,
    url_prefix="",
    description="GPs: self-registration and your own account and profile",
)

HPR_PATTERN = "^[0-9]{7,9}$"
HPR_RE = re.compile(HPR_PATTERN)
PROFILE_FIELDS = (
    "name",
    "hpr_number",
    "municipality_id",
    "specialisation_started",
    "months_general_practice",
    "courses_completed",
    "supervision_group_months",
    "scheme",
)
_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "Only GPs have a profile",
        404: "No such GP, or you may not verify their progress measures",
        409: "email_taken or hpr_taken",
        422: "Validation failed (fields says which)",
        429: "Too many registrations from this address",
    },
)


# ---- input


def hpr_number(value: str) -> None:
    if not HPR_RE.fullmatch(value):
        raise ma.ValidationError("The HPR number has 7 to 9 digits.")


class Name(Text):
    """A person's name: stripped, never blank."""

    def __init__(self, **kwargs):
        super().__init__(blank=False, validate=[ma.validate.Length(min=1, max=NAME_MAX)], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        if not name:
            raise ma.ValidationError("Enter a name.")
        return name


def _profile_fields(*, required: bool) -> dict[str, ma.fields.Field]:
    def count(maximum: int, description: str) -> ma.fields.Integer:
        return ma.fields.Integer(
            strict=True,
            required=required,
            validate=ma.validate.Range(min=0, max=maximum),
            metadata={"description": description},
        )

    return {
        "name": Name(required=required, metadata={"description": "Full name"}),
        "hpr_number": ma.fields.String(
            required=required,
            validate=[ma.validate.Length(max=9), hpr_number],
            metadata={
                "pattern": HPR_PATTERN,
                "description": "The Norwegian health personnel number (7 to 9 digits)",
            },
        ),
        "municipality_id": object_id(
            required=required,
            metadata={"description": "The municipality the GP works in (GET /municipalities)"},
        ),
        "specialisation_started": day(
            allow_none=True,
            metadata={"description": "When specialisation in general medicine started"},
        ),
        "months_general_practice": count(600, "Months of counting service in general practice"),
        "courses_completed": count(100, "Nationally recommended courses completed"),
        "supervision_group_months": count(600, "Months in a supervision group"),
        "scheme": ma.fields.String(
            required=required,
            validate=ma.validate.OneOf(SCHEMES),
            metadata={"description": "new (needs 6 hospital months) or old (needs 12)"},
        ),
    }


def _locale_field() -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.OneOf(LOCALES),
        metadata={"description": "The language of messages and explanations (default nb)"},
    )


class GPRegistrationSchema(ma.Schema.from_dict(_profile_fields(required=True))):
    email = email(required=True)
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=PASSWORD_MIN, max=PASSWORD_MAX),
        metadata={
            "description": f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, at least "
            f"{PASSWORD_DIFFERENT} of them different; not a common password, and not "
            "containing the email's part before @ (422 on the password otherwise)"
        },
    )
    locale = _locale_field()

    @ma.validates_schema
    def password_policy(self, data: dict[str, Any], **kwargs) -> None:
        problem = password_problem(data.get("password", ""), data.get("email", ""))
        if problem:
            raise ma.ValidationError(problem, "password")


class MePatchSchema(ma.Schema.from_dict(_profile_fields(required=False))):
    locale = _locale_field()


# ---- output


def _account_fields() -> dict[str, ma.fields.Field]:
    return {
        "user_id": ma.fields.Integer(required=True, metadata={"description": "The account's id"}),
        "email": ma.fields.String(required=True),
        "role": ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES)),
        "locale": ma.fields.String(required=True, validate=ma.validate.OneOf(LOCALES)),
        "trust_id": ma.fields.Integer(
            required=True, allow_none=True, metadata={"description": "Trust staff's trust"}
        ),
        "region_id": ma.fields.Integer(
            required=True,
            allow_none=True,
            metadata={"description": "A coordinator's region (null: national)"},
        ),
        "profile_complete": ma.fields.Boolean(
            required=True, metadata={"description": "A GP has registered a profile"}
        ),
        "email_verified": ma.fields.Boolean(
            required=True,
            metadata={
                "description": "The person has opened the link sent to the address (nothing "
                "is withheld until then)"
            },
        ),
    }


def _gp_out_fields(*, required: bool) -> dict[str, ma.fields.Field]:
    def integer(description: str = "", **kwargs) -> ma.fields.Integer:
        return ma.fields.Integer(
            required=required,
            metadata={"description": description} if description else {},
            **kwargs,
        )

    return {
        "name": ma.fields.String(required=required),
        "hpr_number": ma.fields.String(required=required),
        "municipality_id": integer(),
        "specialisation_started": ma.fields.Date(required=required, allow_none=True),
        "months_general_practice": integer(),
        "courses_completed": integer(),
        "supervision_group_months": integer(),
        "scheme": ma.fields.String(required=required, validate=ma.validate.OneOf(SCHEMES)),
        "hospital_months_needed": integer("Months of hospital service the scheme needs"),
        "registered_at": ma.fields.AwareDateTime(
            required=required,
            metadata={"description": "When the GP was registered for hospital service"},
        ),
        "home_trust_id": integer(
            "The trust whose catchment area the municipality lies in", allow_none=True
        ),
        "home_region_id": integer("The home trust's region", allow_none=True),
        "municipality_priority": ma.fields.Integer(
            allow_none=True,
            metadata={
                "description": "The municipality's own priority of the GP among its GPs (1 "
                "first; null: not stated), set by a municipality user"
            },
        ),
    }


class MeasureStateSchema(ma.Schema):
    state = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(verification.STATES),
        metadata={
            "description": "verified (the declared value was verified), changed (the GP changed "
            "it since it was verified: the verification lapsed), declared (never verified)"
        },
    )
    declared = ma.fields.Integer(required=True, metadata={"description": "The GP's value"})
    verified = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The value last verified (null: never verified)"},
    )
    verified_by = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The verifier's name"}
    )
    verified_at = ma.fields.AwareDateTime(required=True, allow_none=True)


ProgressSchema = ma.Schema.from_dict(
    {m: ma.fields.Nested(MeasureStateSchema, required=True) for m in verification.MEASURES},
    name="Progress",
)


def progress_field(required: bool) -> ma.fields.Nested:
    return ma.fields.Nested(
        ProgressSchema,
        required=required,
        metadata={
            "description": "Each progress measure declared vs verified (who, when). Regions "
            "whose rules say verified_progress_only rank by the verified values (0 when never "
            "verified)"
        },
    )


class VerifySchema(ma.Schema):
    measures = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(verification.MEASURES)),
        validate=ma.validate.Length(max=len(verification.MEASURES)),
        metadata={"description": "The measures to verify (default: all three)"},
    )


class VerifiedSchema(ma.Schema):
    gp_id = ma.fields.Integer(required=True)
    progress = progress_field(True)


class MunicipalityRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True, metadata={"description": "Four digits (SSB)"})
    name = ma.fields.String(required=True)


GPSchema = ma.Schema.from_dict(
    {
        "id": ma.fields.Integer(required=True, metadata={"description": "The GP's id (gp_id)"}),
        **_account_fields(),
        **_gp_out_fields(required=True),
        "progress": progress_field(True),
    },
    name="GP",
)
MeSchema = ma.Schema.from_dict(
    {
        "id": ma.fields.Integer(
            required=True,
            allow_none=True,
            metadata={
                "description": "A GP's id (gp_id; null until the GP has a profile), or the "
                "account's id for other roles"
            },
        ),
        **_account_fields(),
        **_gp_out_fields(required=False),
        "progress": progress_field(False),
        "municipalities": ma.fields.List(
            ma.fields.Nested(MunicipalityRefSchema),
            metadata={
                "description": "A municipality user's scope: the municipalities they speak for"
            },
        ),
    },
    name="Me",
)


def account_data(user: User) -> dict[str, Any]:
    gp = user.gp
    data: dict[str, Any] = {
        "id": gp.id if gp else (None if user.role == "gp" else user.id),
        "user_id": user.id,
        "email": user.email,
        "role": user.role,
        "locale": user.locale,
        "trust_id": user.trust_id,
        "region_id": user.region_id,
        "profile_complete": gp is not None,
        "email_verified": user.email_verified_at is not None,
    }
    if gp is not None:
        home = gp.home_trust
        data |= {name: getattr(gp, name) for name in PROFILE_FIELDS} | {
            "hospital_months_needed": gp.hospital_months_needed,
            "registered_at": gp.registered_at,
            "home_trust_id": home.id if home else None,
            "home_region_id": home.region_id if home else None,
            "municipality_priority": gp.municipality_priority,
            "progress": progress_data(gp),
        }
    if user.role == "municipality":
        data["municipalities"] = [municipality_ref(m) for m in user.municipalities]
    return data


def progress_data(gp: GP, names: dict[int, str] | None = None) -> dict[str, Any]:
    """The GP's measures, declared vs verified; ``names``: verifier_names of a page of GPs."""
    return {m: state.as_json() for m, state in verification.states(gp, names).items()}


def municipality_ref(municipality: Municipality) -> dict[str, Any]:
    return {"id": municipality.id, "number": municipality.number, "name": municipality.name}


# ---- helpers


def own_gp() -> GP:
    gp = caller().gp
    if gp is None:
        raise Conflict("profile_required")
    return gp


def accepted_language() -> str | None:
    """The request's Accept-Language when it names a language we speak."""
    if not request.headers.get("Accept-Language"):
        return None
    chosen = _from_accept_language()
    return chosen if chosen in current_app.config["LANGUAGES"] else None


def _taken(email: str, hpr: str) -> BrokenRule:
    """Why a registration the database refused was refused: the email or the HPR number
    was registered at the same moment elsewhere (409)."""
    if db.session.scalar(sa.select(User.id).where(User.email == normalise_email(email))):
        return AccountError("email", "email_taken")
    if db.session.scalar(sa.select(GP.id).where(GP.hpr_number == hpr)):
        return AccountError("hpr_number", "hpr_taken")
    return Conflict("conflict")


# ---- registration and profile


@blp.route("/gps", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(GPRegistrationSchema)
@blp.response(201, GPSchema)
@_errors(409, 429)
def register(data):
    """Register as a GP in specialist training (no token needed; throttled per address)."""
    address = request.remote_addr or ""
    wait = registration_wait_minutes(address)
    if wait:
        raise TooManyRequests("registration_throttled", minutes=wait)
    record_registration_attempt(address)  # counts even if the registration is refused
    registration = GPRegistration(
        email=data["email"],
        password=data["password"],
        locale=data.get("locale")
        or accepted_language()
        or current_app.config["BABEL_DEFAULT_LOCALE"],
        **{name: data.get(name) for name in PROFILE_FIELDS},
    )
    try:
        with attempt():
            gp = register_gp(registration)
            send_verification(gp.user)
    except BrokenRule as error:
        error.commit_anyway = True  # the attempt above stays recorded
        raise
    except sa.exc.IntegrityError as error:  # registered at the same moment elsewhere
        refusal = _taken(registration.email, registration.hpr_number)
        refusal.commit_anyway = True
        raise refusal from error
    return account_data(gp.user)


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@_errors(401)
@auth_required()
def me():
    """Your own account: for a GP, the profile (id is the gp_id)."""
    return account_data(caller())


@blp.route("/me", methods=["PATCH"])
@blp.arguments(MePatchSchema)
@blp.response(200, MeSchema)
@_errors(401, 403, 409)
@auth_required()
def update_me(data):
    """Change your language, and a GP's profile fields (only those given)."""
    user = caller()
    profile = {name: data[name] for name in PROFILE_FIELDS if name in data}
    if profile and user.role != "gp":
        raise Forbidden("profile_for_gps_only")
    if "locale" in data:
        user.locale = data["locale"]
    if profile:
        gp = user.gp
        current = {name: getattr(gp, name) for name in PROFILE_FIELDS} if gp else {}
        merged = {"specialisation_started": None} | current | profile
        missing = [name for name in PROFILE_FIELDS if name not in merged]
        if missing:
            raise InvalidInput("invalid_input", fields=dict.fromkeys(missing, "required"))
        try:
            with attempt():
                save_gp_profile(gp, user=user, actor=user, **merged)
        except sa.exc.IntegrityError as error:  # the number was taken at the same moment
            raise AccountError("hpr_number", "hpr_taken") from error
    return account_data(user)


@blp.route("/gps/<int:gp_id>/progress/verify", methods=["POST"])
@blp.arguments(VerifySchema, required=False)
@blp.response(200, VerifiedSchema)
@_errors(401, 404, 422)
@auth_required()
def verify_progress(data: dict[str, Any] | None, gp_id: int):
    """Verify the GP's declared progress measures (all three, or `measures`): the values,
    you and now are recorded and audited. Municipality users of the GP's municipality and
    coordinators of the GP's region (national coordinators, admins) may; for anyone else
    the GP does not exist (404). A verification lapses when the GP changes the value; the
    verifier is then notified."""
    user = caller()
    gp = access.get_gp_to_verify_or_404(gp_id, user)
    verification.verify(gp, actor=user, measures=(data or {}).get("measures"))
    return {"gp_id": gp.id, "progress": progress_data(gp)}
