"""Downloads of the lists coordinators and trusts work from: periods, placements, the
waiting list and a run's proposals, as CSV and Excel, each within the user's scope."""

from flask import Blueprint

bp = Blueprint("exports", __name__)

from . import routes  # noqa: E402,F401
