"""Each rule has one home: the default policy, the coordinator's scope for a GP, the
lottery's seed, the region a run covers, and the date a committed run may have."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

import matching
from app import access, lifecycle, lottery, policy
from app.dates import add_months_dt, local_today
from app.errors import InvalidInput, MatchConflict
from app.extensions import db
from app.models import GP, LotterySeed, Match, MatchingRun, Period
from app.periods.services import default_accept_by
from app.runs.problem import build_problems
from app.runs.services import RunRequest, execute

from . import factories
from .apiutil import Api
from .conftest import Browser

TODAY = local_today()


# ---- the default policy has one source


def test_every_reader_takes_the_defaults_from_one_place(ctx, monkeypatch):
    nord = factories.region("helse-nord")
    db.session.delete(nord.policy)  # the region has no rules of its own: the defaults apply
    db.session.commit()
    db.session.expire_all()
    changed = dataclasses.replace(
        policy.DEFAULTS,
        priority=("registered_at", "lottery"),
        min_months_general_practice=50,
        fallback_months=5,
        offer_days=9,
        confirmation="coordinator",
    )
    monkeypatch.setattr(policy, "DEFAULTS", changed)
    bodo = factories.trust("nordlandssykehuset")  # no rules of its own
    assert policy.effective_policy(bodo) == changed
    period = factories.make_period("nordlandssykehuset")
    assert period.advertise_after == add_months_dt(period.published_at, 5)
    assert default_accept_by(period) == TODAY + timedelta(days=9)
    [problem] = build_problems(TODAY, [nord.id])
    assert problem.problem["policy"]["priority"] == ["registered_at", "lottery"]
    assert problem.problem["policy"]["min_months_general_practice"] == 50
    gp = factories.make_gp(months_general_practice=40)
    factories.make_window(
        gp, start=period.start_date - timedelta(days=5), trusts=["nordlandssykehuset"]
    )
    with pytest.raises(MatchConflict) as refused:
        lifecycle.assign(period, gp, reason="test", actor=factories.make_user("admin"))
    assert refused.value.code == "not_eligible"


def test_a_new_trust_override_copies_the_rules_in_force(ctx):
    from app.coordination.policies import create_override

    fonna = factories.trust("helse-fonna")
    before = policy.effective_policy(fonna)
    own = create_override(fonna, reason="test", actor=None)
    after = policy.effective_policy(fonna)
    assert own.trust_id == fonna.id and after.source == "trust"
    assert after.values() == before.values()


# ---- the coordinator's scope for a GP: the same on every page and endpoint


def _gp(home_municipality: str, wished_trust: str):
    gp = factories.make_gp(municipality_number=home_municipality)
    factories.make_window(gp, trusts=[wished_trust], specialties=["psychiatry"])
    return gp


@pytest.fixture
def scope_world(ctx):
    """GPs at home in Helse Vest (4601 Bergen) or Sør-Øst (3205 Lillestrøm), each seeking
    service in one of the two regions."""
    gps = {
        ("vest", "vest"): _gp("4601", "helse-bergen"),
        ("sor-ost", "vest"): _gp("3205", "helse-bergen"),
        ("vest", "sor-ost"): _gp("4601", "ahus"),
        ("sor-ost", "sor-ost"): _gp("3205", "ahus"),
    }
    periods = {
        "vest": factories.make_period("helse-bergen"),
        "sor-ost": factories.make_period("ahus"),
    }
    return gps, periods


COORDINATORS = {"vest": "helse-vest", "sor-ost": "helse-sor-ost", "national": None}


@pytest.mark.parametrize("who", list(COORDINATORS))
def test_coordinator_scope_is_the_same_on_every_page_and_endpoint(scope_world, client, who):
    gps, periods = scope_world
    user = factories.make_user("coordinator", region_code=COORDINATORS[who])
    browser = Browser(client)
    browser.login(user.email)
    assign_page = client.get("/coordination/assign").get_data(as_text=True)
    gp_list = client.get("/gps").get_data(as_text=True)
    api = Api.login(client, user.email)
    own_period = periods["vest" if who == "national" else who]
    for (home, seeking), gp in gps.items():
        expected = who == "national" or who in (home, seeking)
        assert access.coordinates_gp(user, gp) is expected
        assert (client.get(f"/gps/{gp.id}").status_code == 200) is expected, (home, seeking)
        assert (f'value="{gp.id}"' in assign_page) is expected, (home, seeking)
        assert (gp.name in gp_list) is expected, (home, seeking)
        response = api.post(
            "/forbids", json={"period_id": own_period.id, "gp_id": gp.id, "reason": "scope"}
        )
        assert response.status_code == (201 if expected else 404), (home, seeking)
        in_query = db.session.scalar(access.gps_in_scope(user).where(GP.id == gp.id))
        assert (in_query is not None) is expected


# ---- the lottery: one seed per region and season, committed to in public


def test_the_seed_does_not_change_with_the_date_a_person_picks(ctx):
    vest = factories.region("helse-vest")
    seeds = {lottery.seed_for(vest, day) for day in (TODAY, TODAY + timedelta(days=1))}
    same_season = date(TODAY.year, 12, 31)
    seeds.add(lottery.seed_for(vest, same_season))
    assert len(seeds) == 1
    assert lottery.seed_for(vest, date(TODAY.year + 1, 1, 1)) not in seeds
    assert lottery.seed_for(factories.region("helse-nord"), TODAY) not in seeds
    [seed] = seeds
    assert len(seed) == 64 and seed != f"{TODAY.isoformat()}/helse-vest"


def test_dry_runs_of_different_days_give_every_gp_the_same_number(ctx):
    gp = factories.make_gp()
    factories.make_window(gp)
    factories.make_period()
    numbers = set()
    for day in (TODAY, TODAY + timedelta(days=3), TODAY + timedelta(days=9)):
        if day.year != TODAY.year:
            continue
        run = execute(RunRequest(as_of=day, dry_run=True))
        numbers.add(run.result["helse-vest"]["lottery"][str(gp.id)])
    assert len(numbers) == 1


def test_the_hash_is_public_before_any_run_of_the_season_and_the_seed_after_it(ctx, client, travel):
    vest = factories.region("helse-vest")
    lottery.draw_ahead(TODAY)
    db.session.commit()
    next_season = TODAY.year + 1
    row = db.session.scalar(
        sa.select(LotterySeed).where(
            LotterySeed.region_id == vest.id,
            LotterySeed.season == next_season,
        )
    )
    page = client.get("/regions/helse-vest").get_data(as_text=True)
    assert row.seed_sha256 in page and row.seed not in page
    assert lottery.sha256_of(row.seed) == row.seed_sha256
    # the first run of the next season uses exactly the seed committed to
    travel(days=(date(next_season, 1, 2) - TODAY).days)
    factories.make_window(factories.make_gp())
    factories.make_period()
    run = execute(RunRequest(as_of=local_today()))
    assert run.problem["helse-vest"]["policy"]["lottery_seed"] == row.seed
    # and once that season is over, anyone can check it
    travel(days=366)
    page = client.get("/regions/helse-vest").get_data(as_text=True)
    assert row.seed in page
    number = run.result["helse-vest"]["lottery"]
    gp_id, value = next(iter(number.items()))
    assert matching.lottery_number(row.seed, gp_id) == value


def test_a_gp_sees_their_own_number(ctx, client):
    gp = factories.make_gp()
    factories.make_window(gp)
    Browser(client).login(gp.user.email)
    page = client.get("/my/why-not").get_data(as_text=True)
    expected = lottery.number(factories.region("helse-vest"), gp.id, TODAY)
    assert f"{expected:.4f}".replace(".", ",") in page and "/regions/helse-vest" in page


# ---- a run's region and date


def test_a_regional_run_leaves_other_regions_untouched(ctx, travel):
    staff = factories.make_user("admin")
    vest_gp, east_gp = factories.make_gp(), factories.make_gp(municipality_number="3205")
    factories.make_window(vest_gp, trusts=["helse-bergen"])
    factories.make_window(east_gp, trusts=["ahus"])
    east_offer = factories.make_period("ahus")
    east_lonely = factories.make_period("ahus", start=TODAY + timedelta(days=100))
    match = factories.make_proposal(east_offer, east_gp)
    lifecycle.offer(match, accept_by=TODAY, actor=staff)
    vest_period = factories.make_period("helse-bergen")
    db.session.commit()
    travel(days=70)  # the offer is past its deadline, the lonely period past its fallback
    vest = factories.region("helse-vest")
    run = execute(RunRequest(as_of=local_today(), region=vest))
    assert run.region_id == vest.id and set(run.summary["regions"]) <= {"helse-vest"}
    assert db.session.get(Match, match.id).status == "offered"
    assert db.session.get(Period, east_lonely.id).status == "open"
    assert db.session.get(Period, vest_period.id).status in ("matched", "advertised")
    national = execute(RunRequest(as_of=local_today()))
    assert national.region_id is None
    assert db.session.get(Match, match.id).status == "expired"
    assert db.session.get(Period, east_lonely.id).status == "advertised"


def test_a_committed_run_in_the_future_is_refused_everywhere(ctx, client, app):
    later = TODAY + timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        execute(RunRequest(as_of=later))
    assert refused.value.code == "run_in_future" and refused.value.field == "as_of"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchingRun)) == 0
    result = app.test_cli_runner().invoke(args=["matching", "run", "--as-of", later.isoformat()])
    assert result.exit_code == 2
    assert "kan ikke dateres etter i dag" in result.output  # in bokmål, the default
    assert "Traceback" not in result.output
    assert (
        app.test_cli_runner()
        .invoke(args=["matching", "run", "--as-of", later.isoformat(), "--dry-run"])
        .exit_code
        == 0
    )
    # a dry run that looked ahead cannot be committed
    user = factories.make_user("coordinator", region_code="helse-vest")
    browser = Browser(client)
    browser.login(user.email)
    assert browser.submit("/coordination/runs", {"as_of": later.isoformat()}).status_code == 302
    dry = db.session.scalar(
        sa.select(MatchingRun).where(MatchingRun.dry_run.is_(True)).order_by(MatchingRun.id.desc())
    )
    page = f"/coordination/runs/{dry.id}"
    response = browser.submit(f"{page}/commit", {}, page=page)
    assert response.status_code == 422
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(MatchingRun)
            .where(MatchingRun.dry_run.is_(False))
        )
        == 0
    )


def test_no_other_default_policy_in_code():
    """The old copies of the defaults and of the seed formula are gone from app/."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "app"
    patterns = [
        re.compile(p)
        for p in (
            r"\bif policy else\b",  # policy.x if policy else <default>
            r"\b[a-z_]+\.policy\b(?![\w.(])(?! import)",  # a row read as the rules
            r"\.get\(\"(offer_days|confirmation|fallback_months)\"",
            r"isoformat\(\)\}/\{region\.code",  # the old date-based lottery seed
        )
    ]
    offenders = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in root.rglob("*.py")
        if path.name != "policy.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if any(p.search(line) for p in patterns) and "the rows, to edit" not in line
    ]
    assert offenders == []


def test_the_policy_form_edits_exactly_the_rules_in_force():
    from app.coordination.policies import CHOICES, FIELDS, FLAGS, RANGES

    assert set(FIELDS) == {"priority", *RANGES, *CHOICES, *FLAGS} == set(policy.RULE_FIELDS)
