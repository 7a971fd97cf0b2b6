"""Concurrency on PostgreSQL: 20 requests at once that would double-book a period or a GP,
or answer one offer twice, leave exactly one live match per period and per GP; the others
get 409, never 500.

The suite's rolled-back transaction cannot be shared between threads, so this test builds
a fresh committed database, does the setup through the API and the command line, and
fires the requests from 20 threads at once."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.dates import add_months, local_today
from app.extensions import db
from app.models import Match
from app.models.matching import LIVE_MATCH_STATUSES
from app.reference.loader import load_reference_data

from .apiutil import Api
from .conftest import PASSWORD, TEST_CONFIG
from .dbutil import fresh_database

pytestmark = pytest.mark.skipif(
    "postgresql" not in (os.environ.get("TEST_DATABASE_URL") or ""),
    reason="runs in the PostgreSQL pass of the suite",
)

ROOT = Path(__file__).resolve().parents[2]
N = 20
TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)


@pytest.fixture
def live_app(tmp_path, monkeypatch):
    """An app on a fresh, committed PostgreSQL database with the reference data."""
    # The suite's autouse fixture put a session bound to its own rolled-back connection in
    # db.session; this app needs real sessions on its own engine (one per request).
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    with fresh_database(tmp_path) as url:
        app = create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": N + 5, "max_overflow": 5},
                "REGISTRATION_MAX_PER_ADDRESS": 10 * N,
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            load_reference_data()
            db.session.commit()
            db.session.remove()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def at_once(app, calls):
    """Run the calls (api, method, path, body) in threads released together, each with a
    test client of its own; their responses' status and body."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        api, method, path, body = call
        own = Api(app.test_client(), api.token)
        barrier.wait()
        response = getattr(own, method)(path, json=body)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def staff(app, client, email, role, **scope):
    options = [f"--{name}={value}" for name, value in scope.items()]
    # (the suite's app context is current: the command would otherwise run in that one)
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["users", "create", "--email", email, "--password", PASSWORD, "--role", role]
            + options
        )
    assert result.exit_code == 0, result.output
    return Api.login(client, email)


def register_gp(client, n, municipality_id, specialty_id):
    email = f"lege{n}@example.no"
    response = client.post(
        "/api/v1/gps",
        json={
            "email": email,
            "password": PASSWORD,
            "name": f"Lege {n}",
            "hpr_number": str(2_000_000 + n),
            "municipality_id": municipality_id,
            "specialisation_started": "2023-01-01",
            "months_general_practice": 40 + n,
            "courses_completed": 3,
            "supervision_group_months": 12,
            "scheme": "new",
        },
    )
    assert response.status_code == 201, response.get_json()
    gp = Api.login(client, email)
    response = gp.post(
        "/me/availabilities",
        json={
            "earliest_start": START.isoformat(),
            "latest_end": add_months(START, 12).isoformat(),
            "months": 6,
            "specialties": [specialty_id],
            "trusts": [],
            "accept_other_specialty": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["gp_id"], gp


def publish(trust, department_id, n):
    start = START + timedelta(days=n)
    response = trust.post(
        "/periods",
        json={
            "department_id": department_id,
            "start_date": start.isoformat(),
            "end_date": (add_months(start, 6) - timedelta(days=1)).isoformat(),
            "source": "parental_leave",
            "description": f"Periode {n}",
            "on_call": False,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def live_matches(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(Match.period_id, Match.gp_id, Match.status).where(
                Match.status.in_(LIVE_MATCH_STATUSES)
            )
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def outcome(results, success):
    statuses = sorted(status for status, _body in results)
    assert statuses == [success] + [409] * (N - 1), results
    return next(body for status, body in results if status == success)


def test_twenty_conflicting_requests_leave_one_live_match_each(live_app):
    client = live_app.test_client()
    public = Api(client)
    bergen = next(
        t
        for t in public.get("/trusts?region=helse-vest").get_json()["items"]
        if t["code"] == "helse-bergen"
    )
    municipality = next(
        m
        for m in public.get("/municipalities?region=helse-vest&limit=500").get_json()["items"]
        if m["number"] == "4601"
    )
    department = public.get("/departments?trust=helse-bergen").get_json()["items"][0]
    assert municipality["trust_id"] == bergen["id"]
    trust = staff(live_app, client, "hr@helse-bergen.no", "trust", trust="helse-bergen")
    coordinator = staff(live_app, client, "alis@helse-vest.no", "coordinator", region="helse-vest")
    gps = [register_gp(client, n, municipality["id"], department["specialty_id"]) for n in range(N)]
    periods = [publish(trust, department["id"], n) for n in range(N + 1)]

    def assign(period_id, gp_id):
        body = {"period_id": period_id, "gp_id": gp_id, "reason": "Samtidig tildeling"}
        return (coordinator, "post", "/matches", body)

    # 20 GPs assigned to one period at once: one wins
    results = at_once(live_app, [assign(periods[0], gp_id) for gp_id, _api in gps])
    winner = outcome(results, 201)
    codes = {body["error"]["code"] for status, body in results if status == 409}
    assert codes <= {"period_taken", "conflict"}, codes

    # one GP (not the winner) assigned to 20 other periods at once: one wins
    gp_id, gp = next((g, api) for g, api in gps if g != winner["gp_id"])
    results = at_once(live_app, [assign(period_id, gp_id) for period_id in periods[1:]])
    match = outcome(results, 201)
    codes = {body["error"]["code"] for status, body in results if status == 409}
    assert codes <= {"gp_already_placed", "conflict"}, codes

    # the GP answers the offer 20 times at once, accepting and declining: one answer counts
    accept_by = (TODAY + timedelta(days=10)).isoformat()
    response = trust.post(f"/matches/{match['id']}/offer", json={"accept_by": accept_by})
    assert response.status_code == 200, response.get_json()
    answers = [
        (gp, "post", f"/matches/{match['id']}/{answer}", {})
        for answer in ("accept", "decline") * (N // 2)
    ]
    results = at_once(live_app, answers)
    answered = outcome(results, 200)
    assert answered["status"] in ("accepted", "declined")

    live = live_matches(live_app)
    assert len({p for p, _g, _s in live}) == len(live) and len({g for _p, g, _s in live}) == len(
        live
    )
    expected = {(periods[0], winner["gp_id"], "proposed")}
    if answered["status"] == "accepted":
        expected.add((match["period_id"], gp_id, "accepted"))
    assert set(live) == expected
    history = coordinator.get(f"/audit?object=match:{match['id']}").get_json()["items"]
    assert [e["action"] for e in history].count(f"match.{answered['status']}") == 1
