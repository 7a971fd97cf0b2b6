"""Coordinators: the region's overview, matching runs, overrides, policies, the audit log."""

from flask import Blueprint

bp = Blueprint("coordination", __name__)

from . import routes, routes_overrides, routes_policies  # noqa: E402,F401
