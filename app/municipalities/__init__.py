"""The municipality's part: endorsing a GP's window, stating its priority among its GPs,
and what a municipality user's start page and the API show them."""

from flask import Blueprint

bp = Blueprint("municipality", __name__)

from . import routes  # noqa: E402,F401
