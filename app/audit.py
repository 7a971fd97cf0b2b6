"""Writing the audit log. Services call ``record`` in the same transaction as the change."""

from __future__ import annotations

import re
from typing import Any

from flask import has_request_context
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, User


def snake_case(name: str) -> str:
    """MatchingRun -> matching_run, GP -> gp, Period -> period."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


def record(
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    actor: User | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event for ``obj`` (a model instance) by ``actor`` (default: current user)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if obj is not None:
        db.session.flush()  # the object needs its id
        object_type = object_type or snake_case(type(obj).__name__)
        object_id = obj.id
    else:
        object_id = None
    event = AuditEvent(
        action=action,
        object_type=object_type or "system",
        object_id=object_id,
        actor=actor,
        reason=reason,
        data=data,
    )
    db.session.add(event)
    return event
