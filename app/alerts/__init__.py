"""Alerts and notifications in the app: subscriptions, the inbox, the private calendar feed,
the outbox for administrators, and the public vacancies for machines (JSON-LD, Atom)."""

from flask import Blueprint, has_request_context
from flask_login import current_user

bp = Blueprint("alerts", __name__)


@bp.app_context_processor
def inbox_badge():
    def inbox_unread() -> int:
        """Unread notifications of the logged-in user (0 for visitors)."""
        if not has_request_context() or not current_user.is_authenticated:
            return 0
        from .services import unread_count

        return unread_count(current_user)

    return {"inbox_unread": inbox_unread}


@bp.app_template_global()
def job_posting(period) -> dict:
    """schema.org JobPosting data for a public vacancy page."""
    from .vacancy_feeds import job_posting as build

    return build(period)


from . import routes, routes_admin  # noqa: E402,F401
