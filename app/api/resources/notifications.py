"""Alerts (/me): subscriptions, how the caller's other messages reach them, and the inbox.
The rules are app.alerts.services; every notification is in the inbox from the moment its
event happens, and email follows through the outbox."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from app.alerts import services
from app.errors import Forbidden, InvalidInput, NotFound
from app.models import Notification, Subscription
from app.models.notifications import CHANNELS, FREQUENCIES

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, list_schema, paginate
from .fields import ID_MAX, error_docs, object_id
from .gps import accepted_language

blp = Blueprint(
    "api_notifications",
    __name__,
    url_prefix="/me",
    description="Alerts: your subscriptions, message preferences and inbox",
)
_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "Only GPs (new periods) and trust staff (new GP availability) subscribe",
        404: "No such object of yours",
        422: "The input is not valid",
    },
)
# What each service code means, for the error's fields.


class SubscriptionInSchema(ma.Schema):
    specialties = ma.fields.List(
        object_id(),
        load_default=list,
        validate=ma.validate.Length(max=services.MAX_LISTED),
        metadata={"uniqueItems": True, "description": "Specialty ids; empty: every specialty"},
    )
    trusts = ma.fields.List(
        object_id(),
        load_default=list,
        validate=ma.validate.Length(max=services.MAX_LISTED),
        metadata={
            "uniqueItems": True,
            "description": "Trust ids (GPs only); with region empty too: the whole country",
        },
    )
    region = object_id(
        load_default=None,
        allow_none=True,
        metadata={"description": "A region id (GPs only): every trust in it"},
    )
    horizon_months = ma.fields.Integer(
        strict=True,
        load_default=12,
        validate=ma.validate.Range(min=services.MIN_HORIZON, max=services.MAX_HORIZON),
        metadata={"description": "Only periods (or windows) starting within this many months"},
    )
    channel = ma.fields.String(load_default="email", validate=ma.validate.OneOf(CHANNELS))
    frequency = ma.fields.String(load_default="immediate", validate=ma.validate.OneOf(FREQUENCIES))


class SubscriptionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    topic = ma.fields.String(
        required=True,
        metadata={"description": "periods (GPs) or availabilities (trust staff)"},
    )
    specialties = ma.fields.List(ma.fields.Integer(), required=True, attribute="specialty_ids")
    trusts = ma.fields.List(ma.fields.Integer(), required=True, attribute="trust_ids")
    region = ma.fields.Integer(required=True, allow_none=True, attribute="region_id")
    horizon_months = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True)
    frequency = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True)
    created_at = ma.fields.AwareDateTime(required=True)


def _worded(notification: Notification) -> services.Worded:
    """The notification in the caller's language: Accept-Language, else their account's."""
    return services.in_language(notification, accepted_language() or caller().locale)


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    subject = ma.fields.String(
        required=True,
        metadata={"description": "In your language (Accept-Language, else your account's)"},
    )
    body = ma.fields.String(required=True)
    link = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The page it concerns"}
    )
    created_at = ma.fields.AwareDateTime(required=True)
    read_at = ma.fields.AwareDateTime(required=True, allow_none=True)
    email_status = ma.fields.String(
        required=True,
        metadata={"description": "none (inbox only), pending, digest, sent or parked"},
    )

    @ma.pre_dump
    def _in_language(self, notification: Notification, **kwargs) -> dict:
        words = _worded(notification)
        return {
            "id": notification.id,
            "kind": notification.kind,
            "subject": words.subject,
            "body": words.body,
            "link": notification.link,
            "created_at": notification.created_at,
            "read_at": notification.read_at,
            "email_status": notification.email_status,
        }


class NotificationListSchema(list_schema(NotificationSchema, "NotificationPage")):
    unread = ma.fields.Integer(required=True, metadata={"description": "Unread, in all pages"})


class InboxArgsSchema(ListArgsSchema):
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "Only unread ones"})


class ReadAllSchema(ma.Schema):
    updated = ma.fields.Integer(required=True, metadata={"description": "How many were unread"})


class PreferencesSchema(ma.Schema):
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    frequency = ma.fields.String(required=True, validate=ma.validate.OneOf(FREQUENCIES))


def _subscriber():
    user = caller()
    if services.topic_for(user) is None:
        raise Forbidden("subscribers_only")
    return user


def _own_subscription(subscription_id: int) -> Subscription:
    found = (
        services.get_subscription(caller(), subscription_id)
        if 1 <= subscription_id <= ID_MAX
        else None
    )
    if found is None:
        raise NotFound("subscription")
    return found


def _own_notification(notification_id: int) -> Notification:
    found = (
        services.get_notification(caller(), notification_id)
        if 1 <= notification_id <= ID_MAX
        else None
    )
    if found is None:
        raise NotFound("notification")
    return found


@blp.route("/subscriptions", methods=["POST"])
@blp.arguments(SubscriptionInSchema)
@blp.response(201, SubscriptionSchema)
@_errors(401, 403, 422)
@auth_required()
def create_subscription(data):
    """Subscribe: GPs to new periods, trust staff to new GP availability in their trust."""
    user = _subscriber()
    request = services.SubscriptionInput(
        specialty_ids=data["specialties"],
        trust_ids=data["trusts"],
        region_id=data["region"],
        horizon_months=data["horizon_months"],
        channel=data["channel"],
        frequency=data["frequency"],
    )
    try:
        subscription = services.create_subscription(user, request)
    except services.SubscriptionError as error:
        # the topic is no input of the API's: its refusal (too many) is the body's as a whole
        raise InvalidInput(
            "invalid_input",
            fields={("_schema" if k == "topic" else k): v for k, v in error.fields.items()},
        ) from error
    return subscription


@blp.route("/subscriptions", methods=["GET"])
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, list_schema(SubscriptionSchema, "SubscriptionList"))
@_errors(401, 403)
@auth_required()
def list_subscriptions(args):
    """Your subscriptions, oldest first."""
    user = _subscriber()
    query = (
        sa.select(Subscription)
        .where(Subscription.user_id == user.id)
        .order_by(Subscription.created_at, Subscription.id)
    )
    return paginate(query, args)


@blp.route("/subscriptions/<int:subscription_id>", methods=["GET"])
@blp.response(200, SubscriptionSchema)
@_errors(401, 403, 404)
@auth_required()
def get_subscription(subscription_id):
    """One of your subscriptions."""
    _subscriber()
    return _own_subscription(subscription_id)


@blp.route("/subscriptions/<int:subscription_id>", methods=["DELETE"])
@blp.response(204)
@_errors(401, 403, 404)
@auth_required()
def delete_subscription(subscription_id):
    """Delete one of your subscriptions (alerts already sent stay in the inbox)."""
    _subscriber()
    services.delete_subscription(_own_subscription(subscription_id))


@blp.route("/message-preferences", methods=["GET"])
@blp.response(200, PreferencesSchema)
@_errors(401)
@auth_required()
def get_preferences():
    """How messages about your own matters (proposals, offers, runs) reach you."""
    user = caller()
    return {"channel": user.message_channel, "frequency": user.message_frequency}


@blp.route("/message-preferences", methods=["PUT"])
@blp.arguments(PreferencesSchema)
@blp.response(200, PreferencesSchema)
@_errors(401, 422)
@auth_required()
def set_preferences(data):
    """Choose email (at once, daily or weekly summary) or inbox only for your own matters."""
    user = caller()
    services.set_message_preferences(user, data["channel"], data["frequency"])
    return {"channel": user.message_channel, "frequency": user.message_frequency}


@blp.route("/notifications", methods=["GET"])
@blp.arguments(InboxArgsSchema, location="query")
@blp.response(200, NotificationListSchema)
@_errors(401)
@auth_required()
def inbox(args):
    """Your inbox, newest first: every notification, whatever its channel."""
    user = caller()
    page = paginate(services.inbox_query(user, unread_only=args["unread"]), args)
    return page | {"unread": services.unread_count(user)}


@blp.route("/notifications/<int:notification_id>", methods=["GET"])
@blp.response(200, NotificationSchema)
@_errors(401, 404)
@auth_required()
def get_notification(notification_id):
    """One notification (reading it here does not mark it read)."""
    return _own_notification(notification_id)


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
@_errors(401, 404)
@auth_required()
def mark_read(notification_id):
    """Mark one notification read; returns it."""
    notification = services.mark_read(_own_notification(notification_id))
    return notification


@blp.route("/notifications/read-all", methods=["POST"])
@blp.response(200, ReadAllSchema)
@_errors(401)
@auth_required()
def mark_all_read():
    """Mark every notification read."""
    count = services.mark_all_read(caller())
    return {"updated": count}
