"""Learning goals and evaluation after a placement: the goals a period offers, the goals the
department and the GP confirm as reached once the placement has ended, and the short
evaluation survey the GP, the department and the municipality each answer once."""

from flask import Blueprint

bp = Blueprint("learning", __name__)

from . import routes  # noqa: E402,F401
