"""No main page or API list asks a number of questions that grows with the rows it shows:
each is counted with N rows of everything and again with 3N (issue 18). The run page and
why-not have their own counts (tests/app/test_coordination_runs.py, test_gp_explanations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.announce.core import notify
from app.dates import local_today
from app.extensions import db
from app.gps import verification
from app.lifecycle.transitions import fixture_writes
from app.models import Availability, Forbid

from . import factories
from .apiutil import Api
from .conftest import Browser
from .statements import recorded

N = 3

PAGES = {
    "gp": ["/dashboard", "/availability", "/my/matches", "/inbox"],
    "trust": ["/dashboard", "/periods", "/periods/{period}"],
    "coordinator": [
        "/dashboard",
        "/coordination/",
        "/coordination/waiting",
        "/gps",
        "/gps/{gp}",
        "/coordination/audit",
    ],
    "admin": [
        "/dashboard",
        "/admin/users",
        "/admin/outbox",
        "/coordination/",
        "/coordination/?region=helse-vest",
        "/coordination/waiting?region=helse-vest",
        "/coordination/statistics",
    ],
    # Bergen's municipality user: every GP of the world is Bergen's, so its lists grow
    "municipality": ["/dashboard", "/gps", "/gps/{gp}"],
    None: ["/", "/vacancies", "/regions/helse-vest", "/trusts/helse-bergen", "/statistics"],
}
API = {
    "gp": ["/me/notifications", "/me/availabilities", "/periods", "/matches"],
    "trust": ["/periods", "/matches"],
    "coordinator": ["/matches", "/audit", "/forbids", "/periods"],
    "municipality": ["/municipality/gps", "/matches"],
    None: ["/vacancies"],
}


class World:
    """A GP, a trust's staff, a coordinator and an administrator of Helse Vest, and a
    period of the trust whose page is counted; ``grow(n)`` adds n rows of everything."""

    def __init__(self):
        self.gp = factories.make_gp(name="Hoved Lege")
        factories.make_window(self.gp)
        self.users = {
            "gp": self.gp.user,
            "trust": factories.make_user("trust", trust_code="helse-bergen"),
            "coordinator": factories.make_user("coordinator", region_code="helse-vest"),
            "admin": factories.make_user("admin"),
            "municipality": factories.make_user("municipality", municipality_numbers=["4601"]),
        }
        self.period = factories.make_period()

    def grow(self, n: int) -> None:
        today = local_today()
        for _ in range(n):
            # a GP on the waiting list with a proposal to confirm, and a declined offer of
            # the counted period
            other = factories.make_gp()
            factories.make_window(other)
            # its progress measures verified by a verifier of its own (names read at once)
            verifier = factories.make_user("coordinator", region_code="helse-vest")
            verification.verify(other, actor=verifier, measures=["courses_completed"])
            factories.make_proposal(factories.make_period(), other, confirmed=False)
            factories.make_proposal(self.period, other, status="declined")
            db.session.add(
                Forbid(gp_id=other.id, period_id=factories.make_period().id, reason="Test")
            )
            # the GP's history: a declined match and a past window
            factories.make_proposal(factories.make_period(), self.gp, status="declined")
            with fixture_writes():
                db.session.add(
                    Availability(
                        gp=self.gp,
                        earliest_start=today - timedelta(days=400),
                        latest_end=today - timedelta(days=10),
                        months=6,
                        status="withdrawn",
                    )
                )
            # a vacancy, and messages (one parked email for the outbox)
            factories.force_status(factories.make_period(), "advertised")
            for user in self.users.values():
                notify(user, "test", subject="Emne", body="Tekst")
            parked = notify(self.users["trust"], "test", subject="Feilet", body="Tekst")
            db.session.flush()
            parked.email_status, parked.attempts = "parked", 5
            db.session.commit()


@pytest.fixture
def world(ctx):
    return World()


def _clients(app, world: World) -> dict:
    clients = {}
    for role, user in world.users.items():
        client = app.test_client()
        Browser(client).login(user.email)
        clients[role] = client
    clients[None] = app.test_client()
    return clients


def _counts(clients, world: World) -> dict[str, int]:
    found = {}
    for role, paths in PAGES.items():
        for path in paths:
            url = path.format(period=world.period.id, gp=world.gp.id)
            # The first visits may fill caches; the first of the season also draws the
            # region's lottery seed, a change of the matching data that makes the caches of
            # that data (app/data_version.py) compute again on the next visit.
            clients[role].get(url)
            clients[role].get(url)
            with recorded() as statements:
                response = clients[role].get(url)
            assert response.status_code == 200, (role, url)
            found[f"{role} {url}"] = len(statements)
    return found


def _api_counts(apis) -> dict[str, int]:
    found = {}
    for role, paths in API.items():
        for path in paths:
            apis[role].get(path)
            with recorded() as statements:
                response = apis[role].get(path)
            assert response.status_code == 200, (role, path, response.get_json())
            found[f"{role} {path}"] = len(statements)
    return found


def test_pages_ask_as_many_questions_for_3n_rows_as_for_n(app, world):
    clients = _clients(app, world)
    world.grow(N)
    few = _counts(clients, world)
    world.grow(2 * N)
    many = _counts(clients, world)
    assert many == few


def test_api_lists_ask_as_many_questions_for_3n_rows_as_for_n(app, client, world):
    apis = {role: Api.login(client, user.email) for role, user in world.users.items()}
    apis[None] = Api(client)
    world.grow(N)
    few = _api_counts(apis)
    world.grow(2 * N)
    many = _api_counts(apis)
    assert many == few
    assert apis["gp"].get("/me/notifications").get_json()["total"] == 3 * N
