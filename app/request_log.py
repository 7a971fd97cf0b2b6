"""One log line per request, and the request's id.

Every request has an id: the caller's ``X-Request-ID`` if it is a sane token (a proxy or a
load balancer sets one), else a new one. It goes back in the ``X-Request-ID`` response header,
on the error pages and in every API error, so a user's report, the proxy's log and this log
meet. When the response is ready, one JSON line on the ``alis.request`` logger (standard
error unless the logging configuration says otherwise): the request id, method, path (a
token in it masked), user id, status and duration in milliseconds.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import wsgi_errors_stream

HEADER = "X-Request-ID"
logger = logging.getLogger("alis.request")
# Letters, digits and a few separators: enough for UUIDs and proxies' ids, nothing that
# could forge a log line or a header.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        given = request.headers.get(HEADER, "")
        rid = given if SANE_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def _path() -> str:
    """The path, with capability tokens (a calendar feed, a manage link) masked."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and value:
            path = path.replace(str(value), f"<{name}>")
    return path


def _user_id() -> int | None:
    # Only a user the request has loaded already: the log never reads the session.
    user = g.get("_login_user")
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def _started() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finished(response: Response) -> Response:
    rid = request_id()
    response.headers[HEADER] = rid or ""
    started = g.get("request_started")
    line: dict[str, Any] = {
        "request_id": rid,
        "method": request.method,
        "path": _path(),
        "user_id": _user_id(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }
    logger.info(json.dumps(line), extra={"request_line": line})
    return response


def init_app(app: Flask) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler(wsgi_errors_stream)  # type: ignore[call-overload]
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    # First in, last out: the clock starts before every other hook and stops after them.
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request_funcs.setdefault(None, []).insert(0, _finished)
    app.context_processor(lambda: {"request_id": request_id()})
