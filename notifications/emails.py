"""Emails built from the outbox: text and HTML in the recipient's language, with a link back
to the page and a one-click link to manage subscriptions.

The templates (``email/notification.txt|html``, ``email/digest.txt|html`` and what they
include) come from a Jinja loader the app provides, rendered in an environment of their own
rather than through Flask's ``render_template``: an email is not a page, so it gets none of
the site's context processors, globals or request, and this package names everything it
needs (the loader, the links, the settings) instead of borrowing the current app's template
set-up. The environment has what the templates use: Flask-Babel's gettext in the i18n
extension (as Flask-Babel installs it for pages) and the ``format_datetime`` filter.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from typing import Literal, Protocol

import flask_babel
from flask_babel import force_locale, format_timedelta, get_translations, ngettext
from flask_babel import gettext as _
from jinja2 import BaseLoader, Environment, select_autoescape

from . import wording
from .data import Recipient
from .queueing import new_message_id, utcnow
from .settings import DeliverySettings
from .store import DIGEST, Item, OutboxEmail

# Long URLs in List-Unsubscribe must not be folded into encoded words (RFC 2369 wants them
# plain): fold only past SMTP's own limit.
POLICY = default_policy.clone(max_line_length=998)


class EmailLinks(Protocol):
    """Absolute URLs on the site's public address, for emails read anywhere."""

    def absolute(self, path: str) -> str:
        """``path`` (or an absolute URL, unchanged) on the site's public address."""

    def inbox(self) -> str:
        """The inbox page."""

    def manage(self, recipient: Recipient) -> str:
        """The recipient's subscription settings, opened without a login."""

    def unsubscribe(self, recipient: Recipient) -> str:
        """RFC 8058 one-click unsubscribe (POST): stops all email to the recipient."""


class EmailTemplates:
    """The email templates from ``loader``: HTML autoescaped, text not (as Flask does)."""

    def __init__(self, loader: BaseLoader):
        self.environment = Environment(
            loader=loader,
            autoescape=select_autoescape(("html", "htm", "xml", "xhtml", "svg"), default=False),
            extensions=["jinja2.ext.i18n"],
        )
        self.environment.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda s: get_translations().ugettext(s),
            ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
            newstyle=True,
        )
        self.environment.filters["format_datetime"] = lambda value, fmt="medium": (
            flask_babel.format_datetime(value, fmt)
        )

    def render(self, name: str, **context) -> str:
        return self.environment.get_template(name).render(**context)


def _envelope(
    email: OutboxEmail, subject: str, links: EmailLinks, settings: DeliverySettings
) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = email.recipient.email
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{links.unsubscribe(email.recipient)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def _common(recipient: Recipient, links: EmailLinks) -> dict:
    return {
        "locale": recipient.locale,
        "inbox_url": links.inbox(),
        "manage_url": links.manage(recipient),
    }


def _finish(message: EmailMessage, text: str, html: str, locale: str) -> EmailMessage:
    message.set_content(text, cte="quoted-printable")  # 7-bit safe for any SMTP server
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = locale  # after the body: set_content drops Content-*
    return message


def in_language(item: Item, locale: str) -> Item:
    """``item`` worded in ``locale`` now, as the email is built (the recipient may have
    changed language since it was queued); as stored when it cannot be worded again."""
    words = wording.render(item.key, item.params, locale)
    if words is None:
        return item
    subject, body = words
    return replace(item, subject=subject, body=body)


def notification_email(
    email: OutboxEmail, templates: EmailTemplates, links: EmailLinks, settings: DeliverySettings
) -> EmailMessage:
    """The email of one notification (its own Message-ID, stable across retries)."""
    recipient = email.recipient
    [notification] = (in_language(item, recipient.locale) for item in email.items)
    with force_locale(recipient.locale):
        context = _common(recipient, links) | {
            "notification": notification,
            "title": notification.subject,
            "link": links.absolute(notification.link) if notification.link else None,
        }
        text = templates.render("email/notification.txt", **context)
        html = templates.render("email/notification.html", **context)
    message = _envelope(email, notification.subject, links, settings)
    return _finish(message, text, html, recipient.locale)


def digest_email(
    email: OutboxEmail, templates: EmailTemplates, links: EmailLinks, settings: DeliverySettings
) -> EmailMessage:
    """One email with every notification the digest gathered, oldest first."""
    recipient = email.recipient
    items = [
        {"notification": n, "link": links.absolute(n.link) if n.link else None}
        for n in (in_language(item, recipient.locale) for item in email.items)
    ]
    count = len(items)
    with force_locale(recipient.locale):
        if email.frequency == "weekly":
            subject = ngettext(
                "Weekly summary from the ALIS portal: %(num)d new message",
                "Weekly summary from the ALIS portal: %(num)d new messages",
                count,
            )
            title = _("Your weekly summary")
            intro = _("What happened in the ALIS portal last week that concerns you.")
        else:
            subject = ngettext(
                "Daily summary from the ALIS portal: %(num)d new message",
                "Daily summary from the ALIS portal: %(num)d new messages",
                count,
            )
            title = _("Your daily summary")
            intro = _("What happened in the ALIS portal yesterday that concerns you.")
        context = _common(recipient, links) | {"title": title, "intro": intro, "items": items}
        text = templates.render("email/digest.txt", **context)
        html = templates.render("email/digest.html", **context)
    message = _envelope(email, subject, links, settings)
    return _finish(message, text, html, recipient.locale)


def build_email(
    email: OutboxEmail, templates: EmailTemplates, links: EmailLinks, settings: DeliverySettings
) -> EmailMessage:
    build = digest_email if email.kind == DIGEST else notification_email
    return build(email, templates, links, settings)


AccountEmailKind = Literal["password_reset", "email_verification"]


def account_email(
    kind: AccountEmailKind,
    *,
    to: str,
    locale: str,
    link: str,
    valid_for: timedelta,
    templates: EmailTemplates,
    settings: DeliverySettings,
) -> EmailMessage:
    """An email about the account itself, with a secret link valid for ``valid_for``: to
    the address whatever the person chose for their messages, sent at once rather than
    queued (the outbox would keep the secret), and without unsubscribe links (it is not
    list mail)."""
    with force_locale(locale):
        valid = format_timedelta(valid_for, threshold=1.1)
        if kind == "password_reset":
            title = _("Choose a new password for the ALIS portal")
            paragraphs = [
                _(
                    "Someone, probably you, asked to choose a new password for the account "
                    "%(email)s.",
                    email=to,
                ),
                _(
                    "The link works once, for %(valid)s. Choosing a new password logs the "
                    "account out everywhere and ends its API tokens.",
                    valid=valid,
                ),
            ]
            action = _("Choose a new password")
            not_you = _(
                "If you did not ask for this, you can ignore this email: your password stays "
                "as it is."
            )
        else:
            title = _("Confirm your email address for the ALIS portal")
            paragraphs = [
                _(
                    "Confirm that %(email)s is your address, so that the portal's messages "
                    "reach you.",
                    email=to,
                ),
                _("The link works for %(valid)s.", valid=valid),
            ]
            action = _("Confirm my email address")
            not_you = _(
                "If you did not make an account in the ALIS portal, you can ignore this email."
            )
        context = {
            "locale": locale,
            "title": title,
            "paragraphs": paragraphs,
            "action": action,
            "link": link,
            "not_you": not_you,
        }
        text = templates.render("email/account.txt", **context)
        html = templates.render("email/account.html", **context)
    message = EmailMessage(policy=POLICY)
    message["Subject"] = title
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = new_message_id(settings)
    message["Auto-Submitted"] = "auto-generated"
    return _finish(message, text, html, locale)
