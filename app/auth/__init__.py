"""Accounts: registration, login, logout, the account page, two-factor authentication."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes, two_factor_routes  # noqa: E402,F401
