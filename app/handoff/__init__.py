"""The hand-off to HR: the page HR copies the contract's facts from, and the trust's signed
webhook (its settings and delivery log). The facts themselves are app.matches.handoff."""

from flask import Blueprint

bp = Blueprint("handoff", __name__)

from . import routes  # noqa: E402,F401
