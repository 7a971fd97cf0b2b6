"""The outbox as administrators see it: what waits, what retries, what is parked."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import mail
from app.extensions import db
from app.models import Notification
from app.models.notifications import EmailDigest
from app.paging import Page, clamp

KINDS: dict[str, type[Notification] | type[EmailDigest]] = {
    "notification": Notification,
    "digest": EmailDigest,
}


def outbox_counts() -> dict[str, int]:
    """How many emails wait, retry, went out, are parked (notifications and digests)."""
    counts = {"pending": 0, "retrying": 0, "waiting_for_digest": 0, "sent": 0, "parked": 0}
    for model in (Notification, EmailDigest):
        rows = db.session.execute(
            sa.select(
                model.email_status,
                sa.func.count(),
                sa.func.count().filter(model.attempts > 0),
            ).group_by(model.email_status)
        ).all()
        for status, count, retried in rows:
            if status == "pending":
                counts["pending"] += count - retried
                counts["retrying"] += retried
            elif status in ("sent", "parked"):
                counts[status] += count
    counts["waiting_for_digest"] = db.session.scalar(
        sa.select(sa.func.count()).where(
            Notification.email_status == "digest", Notification.digest_id.is_(None)
        )
    )
    return counts


Row = tuple[str, Notification | EmailDigest]
PER_PAGE = 50


def _page(condition, key: str, descending: bool, page: int, per_page: int) -> Page[Row]:
    """One page of the notifications and digests that meet ``condition``, ordered by their
    column ``key``: the order and the page are one query over both tables (a UNION of their
    ids), then the page's rows are loaded with their users."""
    keys = sa.union_all(
        *(
            sa.select(
                sa.literal(kind).label("kind"),
                model.id.label("id"),
                getattr(model, key).label("key"),
            ).where(condition(model))
            for kind, model in KINDS.items()
        )
    ).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(keys)) or 0
    page, pages = clamp(page, total, per_page)
    order = (keys.c.key.desc(), keys.c.id.desc()) if descending else (keys.c.key, keys.c.id)
    chosen = db.session.execute(
        sa.select(keys.c.kind, keys.c.id)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    loaded: dict[tuple[str, int], Notification | EmailDigest] = {}
    for kind, model in KINDS.items():
        ids = [row_id for k, row_id in chosen if k == kind]
        if ids:
            found: list[Notification | EmailDigest] = list(
                db.session.scalars(
                    sa.select(model).options(selectinload(model.user)).where(model.id.in_(ids))
                )
            )
            loaded.update(((kind, row.id), row) for row in found)
    items = [(kind, loaded[(kind, row_id)]) for kind, row_id in chosen]
    return Page(items=items, page=page, pages=pages, total=total, per_page=per_page)


def parked(page: int = 1, per_page: int = PER_PAGE) -> Page[Row]:
    """Parked emails, most recent first, as (kind, row)."""
    return _page(lambda m: m.email_status == "parked", "created_at", True, page, per_page)


def retrying(page: int = 1, per_page: int = PER_PAGE) -> Page[Row]:
    """Emails that failed at least once and will be tried again, soonest first."""
    return _page(
        lambda m: sa.and_(m.email_status == "pending", m.attempts > 0),
        "next_attempt_at",
        False,
        page,
        per_page,
    )


def get_row(kind: str, row_id: int) -> Notification | EmailDigest | None:
    model = KINDS.get(kind)
    return db.session.get(model, row_id) if model is not None else None


def retry_all_parked() -> int:
    """Give every parked email its attempts again, from now (flushes); returns how many."""
    count = 0
    for model in KINDS.values():
        parked: list[Notification | EmailDigest] = list(
            db.session.scalars(sa.select(model).where(model.email_status == "parked"))
        )
        for row in parked:
            mail.retry(row)
            count += 1
    return count
