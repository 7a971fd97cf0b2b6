"""Available periods published by trusts: the trust staff's pages and the rules behind them."""

from flask import Blueprint

bp = Blueprint("periods", __name__)

from . import routes  # noqa: E402,F401
