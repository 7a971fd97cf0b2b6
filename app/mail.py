"""Email delivery for the app: notifications' delivery with the app's settings, email
templates, links and outbox store (what the scheduler, the command line and the outbox page
call)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from app.links import SiteLinks
from app.models import Notification
from app.models.notifications import EmailDigest
from app.outbox_store import kind_of, store
from notifications import delivery
from notifications.delivery import Courier, DeliveryReport
from notifications.emails import EmailTemplates
from notifications.settings import DeliverySettings


def settings() -> DeliverySettings:
    """The mail settings of the current app (read at each call: tests change them)."""
    return DeliverySettings.from_mapping(current_app.config)


def _templates() -> EmailTemplates:
    templates = current_app.extensions.get("email_templates")
    if templates is None:
        loader = current_app.jinja_loader  # the app's templates/, email/ among them
        if loader is None:
            raise RuntimeError("the app has no template folder for the email templates")
        templates = EmailTemplates(loader)
        current_app.extensions["email_templates"] = templates
    return templates


def courier() -> Courier:
    return Courier(
        store=store,
        settings=settings(),
        templates=_templates(),
        links=SiteLinks(),
        logger=current_app.logger,
    )


def send_due(now: datetime | None = None, report: DeliveryReport | None = None) -> DeliveryReport:
    """Build due digests, then send every email that is due at ``now`` (commits)."""
    return delivery.send_due(courier(), now, report)


def watch_outbox(seconds: float, poll: float) -> DeliveryReport:
    """Send what is due now, then look again every ``poll`` seconds for ``seconds``
    (commits)."""
    return delivery.watch_outbox(courier(), seconds, poll)


def retry(row: Notification | EmailDigest) -> None:
    """Give a parked email its full number of attempts again, starting now (flushes)."""
    delivery.retry(store, kind_of(row), row.id)
