"""The GP's own pages: availability windows, proposals and offers, why not."""

from flask import Blueprint

bp = Blueprint("gp", __name__)

from . import routes  # noqa: E402,F401
