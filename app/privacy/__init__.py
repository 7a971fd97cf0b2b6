"""Data protection: the privacy page, the download of one's own data, erasing one's account
(app.privacy.erase) and the retention job (app.privacy.retention)."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from . import routes  # noqa: E402,F401
