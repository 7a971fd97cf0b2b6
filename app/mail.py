"""Email delivery for the app: notifications' delivery with the app's settings, email
templates, links and outbox store (what the scheduler, the command line and the outbox page
call), and the account emails that carry a secret link (sent at once, never queued)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app

from app.links import SiteLinks, absolute_url
from app.models import Notification
from app.models.notifications import EmailDigest
from app.outbox_store import kind_of, store
from app.unit_of_work import after_commit
from notifications import delivery
from notifications.backends import DeliveryError, backend_for
from notifications.delivery import Courier, DeliveryReport
from notifications.emails import AccountEmailKind, EmailTemplates, account_email
from notifications.settings import DeliverySettings


def settings() -> DeliverySettings:
    """The mail settings of the current app (read at each call: tests change them)."""
    return DeliverySettings.from_mapping(current_app.config)


def templates() -> EmailTemplates:
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
        templates=templates(),
        links=SiteLinks(),
        logger=current_app.logger,
    )


def send_due(now: datetime | None = None, report: DeliveryReport | None = None) -> DeliveryReport:
    """Build due digests, then send every email that is due at ``now`` (commits)."""
    return delivery.send_due(courier(), now, report)


def watch_outbox(
    seconds: float, poll: float, also: Callable[[], object] | None = None
) -> DeliveryReport:
    """Send what is due now, then look again every ``poll`` seconds for ``seconds``, running
    ``also`` after each look (commits)."""
    return delivery.watch_outbox(courier(), seconds, poll, also)


def retry(row: Notification | EmailDigest) -> None:
    """Give a parked email its full number of attempts again, starting now (flushes)."""
    delivery.retry(store, kind_of(row), row.id)


# Account emails go out from a thread of their own, after the commit: the answer to the
# request takes as long whether or not an email is sent (asking for a password reset must
# not tell whether the address has an account), and a slow mail server slows no one.
_sender: ThreadPoolExecutor | None = None
_sender_pid: int | None = None
_in_flight: set[Future] = set()
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _sender, _sender_pid
    with _lock:
        if _sender is None or _sender_pid != os.getpid():  # a forked worker starts its own
            _sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="account-mail")
            _sender_pid = os.getpid()
        return _sender


def _deliver(message: EmailMessage, settings: DeliverySettings, logger: logging.Logger) -> None:
    try:
        with backend_for(settings) as backend:
            backend.send(message)
    except DeliveryError as error:
        logger.error("account email %s not sent: %s", message["Message-ID"], error)


def _hand_over(message: EmailMessage, settings: DeliverySettings, logger: logging.Logger) -> None:
    future = _pool().submit(_deliver, message, settings, logger)
    with _lock:
        _in_flight.add(future)
    future.add_done_callback(lambda done: _in_flight.discard(done))


def send_account_email(
    kind: AccountEmailKind, *, to: str, locale: str, path: str, valid_for: timedelta
) -> None:
    """Build the email now, in the person's language; send it once the unit of work has
    committed (the link's token is in the database by then), and not at all if it rolls
    back."""
    message = account_email(
        kind,
        to=to,
        locale=locale,
        link=absolute_url(path),
        valid_for=valid_for,
        templates=templates(),
        settings=settings(),
    )
    mail_settings, logger = settings(), current_app.logger
    after_commit(lambda: _hand_over(message, mail_settings, logger))


def wait_for_account_emails(timeout: float = 30) -> None:
    """Wait until the account emails handed over so far have been sent or given up (tests,
    and a command that ends right after sending one)."""
    with _lock:
        pending = list(_in_flight)
    wait_for(pending, timeout=timeout)
