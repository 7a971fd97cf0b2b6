"""The outbox kept in the database: notifications' ``OutboxStore`` on the Notification and
EmailDigest tables, in the app's session (notifications says when to commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Notification, User
from app.models.notifications import EmailDigest
from notifications.data import Recipient
from notifications.store import (
    DIGEST,
    NOTIFICATION,
    DigestGroup,
    Item,
    NewNotification,
    OutboxEmail,
)

MODELS: dict[str, type[Notification] | type[EmailDigest]] = {
    NOTIFICATION: Notification,
    DIGEST: EmailDigest,
}


def claim_due(model, pending, now: datetime, limit: int, until: datetime) -> list[int]:
    """Claim up to ``limit`` rows of ``model`` that are ``pending`` and due at ``now``: one
    statement moves their next attempt to ``until`` (a lease) and returns their ids, oldest
    first. PostgreSQL skips rows another sender holds; SQLite has one writer at a time. The
    email outbox and the webhook outbox claim this way."""
    due = (
        sa.select(model.id)
        .where(pending, model.next_attempt_at <= now)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = db.session.execute(
        sa.update(model)
        .where(model.id.in_(due))
        .values(next_attempt_at=until)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(row[0] for row in result)


def kind_of(row: Notification | EmailDigest) -> str:
    return DIGEST if isinstance(row, EmailDigest) else NOTIFICATION


def recipient(user: User) -> Recipient:
    return Recipient(
        id=user.id,
        email=user.email,
        locale=user.locale,
        channel=user.message_channel,
        frequency=user.message_frequency,
        active=user.active,
    )


def _item(notification: Notification) -> Item:
    return Item(
        subject=notification.subject,
        body=notification.body,
        link=notification.link,
        created_at=notification.created_at,
        key=notification.message_key,
        params=notification.message_params,
    )


def _email(kind: str, row: Notification | EmailDigest) -> OutboxEmail:
    if isinstance(row, EmailDigest):
        items = tuple(_item(n) for n in row.notifications)
        frequency: str | None = row.frequency
    else:
        items, frequency = (_item(row),), None
    return OutboxEmail(
        kind=kind,
        id=row.id,
        message_id=cast(str, row.message_id),  # every queued notification has one
        attempts=row.attempts,
        recipient=recipient(row.user),
        items=items,
        frequency=frequency,
    )


class SqlOutboxStore:
    """``notifications.store.OutboxStore`` on the app's database session."""

    def add(self, notification: NewNotification) -> Notification:
        row = Notification(
            # The recipient is loaded already: the identity map hands it over without a query.
            user=db.session.get(User, notification.recipient_id),
            kind=notification.kind,
            subject=notification.subject,
            body=notification.body,
            link=notification.link,
            data=notification.data,
            created_at=notification.created_at,
            email_status=notification.email_status,
            digest_frequency=notification.digest_frequency,
            next_attempt_at=notification.next_attempt_at,
            message_id=notification.message_id,
            dedupe_key=notification.dedupe_key,
            message_key=notification.key,
            message_params=notification.params,
        )
        db.session.add(row)
        return row

    def commit(self) -> None:
        db.session.commit()

    def due_digest_groups(self, now: datetime) -> list[DigestGroup]:
        rows = db.session.execute(
            sa.select(
                Notification.user_id, Notification.digest_frequency, Notification.next_attempt_at
            )
            .where(
                Notification.email_status == "digest",
                Notification.digest_id.is_(None),
                Notification.next_attempt_at <= now,
            )
            .distinct()
        ).all()
        return [DigestGroup(user_id, frequency, due) for user_id, frequency, due in rows]

    def digest_for(self, group: DigestGroup, *, now: datetime, message_id: str) -> tuple[int, bool]:
        query = sa.select(EmailDigest.id).where(
            EmailDigest.user_id == group.recipient_id,
            EmailDigest.frequency == group.frequency,
            EmailDigest.due_at == group.due,
        )
        existing = db.session.scalar(query)
        if existing is not None:
            return existing, False
        try:
            with db.session.begin_nested():
                digest = EmailDigest(
                    user_id=group.recipient_id,
                    frequency=group.frequency,
                    due_at=group.due,
                    email_status="pending",
                    next_attempt_at=now,
                    message_id=message_id,
                )
                db.session.add(digest)
                db.session.flush()
            return digest.id, True
        except sa.exc.IntegrityError:  # another sender made it a moment ago
            return cast(int, db.session.scalar(query)), False

    def gather(self, group: DigestGroup, digest_id: int) -> None:
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == group.recipient_id,
                Notification.email_status == "digest",
                Notification.digest_frequency == group.frequency,
                Notification.next_attempt_at == group.due,
                Notification.digest_id.is_(None),
            )
            .values(digest_id=digest_id)
            .execution_options(synchronize_session=False)
        )

    def anything_due(self, kind: str, now: datetime) -> bool:
        model = MODELS[kind]
        due = db.session.scalar(
            sa.select(
                sa.exists().where(model.email_status == "pending", model.next_attempt_at <= now)
            )
        )
        return bool(due)

    def claim(self, kind: str, now: datetime, limit: int, until: datetime) -> list[int]:
        model = MODELS[kind]
        return claim_due(model, model.email_status == "pending", now, limit, until)

    def load(self, kind: str, ids: Sequence[int]) -> list[OutboxEmail]:
        model = MODELS[kind]
        query = (
            sa.select(model)
            .where(model.id.in_(ids))
            .order_by(model.id)
            .options(selectinload(model.user))
            .execution_options(populate_existing=True)
        )
        if model is EmailDigest:
            query = query.options(selectinload(EmailDigest.notifications))
        rows = cast(Sequence[Notification | EmailDigest], db.session.scalars(query).all())
        return [_email(kind, row) for row in rows]

    def _update(self, kind: str, id: int, **values) -> None:
        model = MODELS[kind]
        db.session.execute(sa.update(model).where(model.id == id).values(**values))

    def mark_sent(self, kind: str, id: int, at: datetime) -> None:
        self._update(kind, id, email_status="sent", sent_at=at, next_attempt_at=None)

    def mark_retry(self, kind: str, id: int, *, attempts: int, error: str, at: datetime) -> None:
        self._update(kind, id, attempts=attempts, last_error=error, next_attempt_at=at)

    def mark_parked(self, kind: str, id: int, *, attempts: int, error: str) -> None:
        self._update(
            kind,
            id,
            attempts=attempts,
            last_error=error,
            email_status="parked",
            next_attempt_at=None,
        )

    def requeue(self, kind: str, id: int, now: datetime) -> None:
        model = MODELS[kind]
        db.session.execute(
            sa.update(model)
            .where(model.id == id, model.email_status == "parked")
            .values(email_status="pending", attempts=0, next_attempt_at=now)
        )


store = SqlOutboxStore()
