"""Statistics and evaluation: the portal's figures month by month, for coordinators (their
region, or the country), as a printable evaluation report, as CSV and Excel, and an
anonymised public version."""

from flask import Blueprint

bp = Blueprint("statistics", __name__)

from . import routes  # noqa: E402,F401
