"""Views for the unit-of-work tests: each writes an audit record, then succeeds, refuses,
refuses but keeps it, refuses inside an ``attempt()``, or crashes. Registered with the test
app only (conftest)."""

from __future__ import annotations

from flask import Blueprint

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import AuditEvent
from app.unit_of_work import attempt

bp = Blueprint("uow_probe", __name__)


def _write(name: str) -> None:
    db.session.add(AuditEvent(action=f"probe.{name}", object_type="system"))
    db.session.flush()


@bp.route("/_probe/ok", methods=["POST"])
def ok():
    _write("ok")
    return "ok"


@bp.route("/_probe/refused", methods=["POST"])
def refused():
    _write("refused")
    raise Conflict("period_taken")


@bp.route("/_probe/kept", methods=["POST"])
def kept():
    _write("kept")
    error = InvalidInput("invalid_input", field="x")
    error.commit_anyway = True
    raise error


@bp.route("/_probe/partly", methods=["POST"])
def partly():
    _write("before")
    try:
        with attempt():
            _write("inside")
            raise Conflict("period_taken")
    except Conflict:
        pass
    return "partly"


@bp.route("/_probe/crash", methods=["POST"])
def crash():
    _write("crash")
    raise RuntimeError("boom")
