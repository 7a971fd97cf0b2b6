"""One unit of work at each edge: services flush, the request, job or command commits once,
and rolls back on any error; broken rules become a page message, 404, 409 or 422, and on the
command line one line with exit status 2."""

from __future__ import annotations

import pathlib
import re

import pytest
import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.models import AuditEvent, LoginAttempt
from app.unit_of_work import unit_of_work

from . import factories

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Where a transaction is managed by hand, and why: the edge itself; the matching run, which
# records a failed run after rolling back; the outboxes (email, webhooks), which mark each
# message sent as it leaves (and claim rows in transactions of their own).
OWNERS = {
    "app/unit_of_work.py",
    "app/runs/services.py",
    "app/outbox_store.py",
    "app/handoff/outbox.py",
}


def test_only_the_edge_commits():
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in OWNERS:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"session\.(commit|rollback)\(", line):
                offenders.append(f"{relative}:{n}: {line.strip()}")
    assert offenders == []


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _actions() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.like("probe.%"))
            .order_by(AuditEvent.id)
        )
    )


def test_a_request_commits_once_or_rolls_back(ctx, client):
    # the views are tests/app/probes.py, registered with the test app (conftest)
    assert client.post("/_probe/ok").status_code == 200
    assert client.post("/_probe/refused").status_code == 409
    assert client.post("/_probe/crash").status_code == 500
    assert client.post("/_probe/kept").status_code == 422
    assert client.post("/_probe/partly").status_code == 200
    assert _actions() == ["probe.ok", "probe.kept", "probe.before"]


def test_the_api_keeps_a_failed_login_attempt(ctx, client):
    user = factories.make_user("gp")
    before = _count(LoginAttempt)
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "x" * 12})
    assert response.status_code == 401
    assert _count(LoginAttempt) == before + 1


def test_a_job_or_command_unit_of_work(ctx):
    with unit_of_work():
        db.session.add(AuditEvent(action="probe.job", object_type="system"))
    with pytest.raises(Conflict), unit_of_work():
        db.session.add(AuditEvent(action="probe.lost", object_type="system"))
        raise Conflict("period_taken")
    assert _actions() == ["probe.job"]


@pytest.mark.parametrize(
    "args",
    [
        ["users", "create", "--email", "a@b.no", "--password", "kort", "--role", "gp"],
        [
            "users",
            "create",
            "--email",
            "c@d.no",
            "--password",
            "lang nok passord her",
            "--role",
            "trust",
        ],
        [
            "users",
            "create",
            "--email",
            "e@f.no",
            "--password",
            "lang nok passord her",
            "--role",
            "trust",
            "--trust",
            "finnes-ikke",
        ],
        ["matching", "run", "--region", "finnes-ikke", "--dry-run"],
    ],
)
def test_a_command_refuses_bad_input_in_one_line_with_exit_2(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: --"), result.output
    assert "Traceback" not in result.output
