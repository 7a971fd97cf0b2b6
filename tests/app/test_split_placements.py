"""Split placements (3 + 3 months, issue 20 part 2): the database refuses a second live
match without a split, overlapping blocks and a third block; a coordinator's second block;
a run that places a split GP twice; the API field and the pages."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.dates import local_today
from app.extensions import db
from app.lifecycle.transitions import fixture_writes
from app.models import Availability, Match
from app.runs.services import RunRequest, execute

from . import factories
from .a11y import problems
from .apiutil import Api, error_of
from .conftest import Browser

TODAY = local_today()
START = TODAY + timedelta(days=60)


def split_gp(months=6, split=True):
    gp = factories.make_gp()
    window = factories.make_window(
        gp, start=START - timedelta(days=5), months=months, accept_other=True
    )
    with fixture_writes():
        window.split_allowed = split
    db.session.commit()
    return gp


def blocks():
    """Two consecutive 3-month periods of one Bergen department, and one overlapping both."""
    first = factories.make_period(start=START, months=3)
    second = factories.make_period(start=first.end_date + timedelta(days=1), months=3)
    across = factories.make_period(start=START + timedelta(days=45), months=3)
    return first, second, across


def live_match(period, gp, slot=1):
    with fixture_writes():
        match = Match(period=period, gp=gp, source="coordinator", slot=slot, status="proposed")
        db.session.add(match)
        db.session.flush()
    return match


def refused(period, gp, slot):
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        live_match(period, gp, slot)


# ---- the database


def test_the_database_refuses_a_second_live_match_without_a_split(ctx):
    gp = split_gp(split=False)
    first, second, _ = blocks()
    live_match(first, gp)
    refused(second, gp, 2)


def test_the_database_takes_two_blocks_with_a_split_but_not_overlapping_ones(ctx):
    gp = split_gp()
    first, second, across = blocks()
    live_match(first, gp)
    refused(across, gp, 2)  # shares days with the first block
    live_match(second, gp, 2)
    third = factories.make_period(start=second.end_date + timedelta(days=1), months=3)
    refused(third, gp, 1)  # a third live match: both slots are taken
    refused(third, gp, 3)  # and there is no third slot
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 2


def test_the_database_checks_a_block_that_becomes_live_again(ctx):
    gp = split_gp()
    first, _, across = blocks()
    live_match(first, gp)
    with fixture_writes():
        ended = Match(period=across, gp=gp, source="solver", slot=2, status="cancelled")
        db.session.add(ended)
        db.session.flush()  # an ended match may overlap: it holds nothing
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        with fixture_writes():
            ended.status = "proposed"
        db.session.flush()


def test_the_database_refuses_a_split_window_of_fewer_than_six_months(ctx):
    gp = factories.make_gp()
    window = factories.make_window(gp, months=6)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        with fixture_writes():
            window.split_allowed = True
            window.months = 4
        db.session.flush()


# ---- the coordinator's assignment (API)


def coordinator_api(client):
    user = factories.make_user("coordinator", region_code="helse-vest")
    return Api.login(client, user.email)


def assign(api, period, gp):
    return api.post(
        "/matches", json={"period_id": period.id, "gp_id": gp.id, "reason": "3 + 3 i Bergen"}
    )


def test_a_coordinator_assigns_a_second_block_when_the_window_allows_a_split(ctx, client):
    api = coordinator_api(client)
    gp = split_gp()
    first, second, across = blocks()
    one = assign(api, first, gp)
    assert one.status_code == 201, one.get_json()
    response = assign(api, across, gp)
    assert response.status_code == 409 and error_of(response)["code"] == "split_blocks_overlap"
    two = assign(api, second, gp)
    assert two.status_code == 201, two.get_json()
    assert [one.get_json()["slot"], two.get_json()["slot"]] == [1, 2]
    third = factories.make_period(start=second.end_date + timedelta(days=1), months=3)
    response = assign(api, third, gp)
    assert response.status_code == 409
    assert error_of(response)["code"] == "split_too_many_blocks"
    assert "to blokker" in error_of(response)["message"]  # in the default language, nb
    listed = api.get(f"/matches?gp={gp.id}").get_json()
    assert sorted(m["period_id"] for m in listed["items"]) == [first.id, second.id]


def test_the_second_block_must_fit_the_months_in_all(ctx, client):
    api = coordinator_api(client)
    gp = split_gp(months=8)
    first = factories.make_period(start=START, months=3)
    long = factories.make_period(start=first.end_date + timedelta(days=1), months=6)
    assert assign(api, first, gp).status_code == 201
    response = assign(api, long, gp)  # 3 + 6 > 8
    assert response.status_code == 409 and error_of(response)["code"] == "split_blocks_too_long"


def test_without_a_split_the_second_assignment_is_refused_with_a_clear_message(ctx, client):
    api = coordinator_api(client)
    gp = split_gp(split=False)
    first = factories.make_period(start=START, months=6)
    second = factories.make_period(start=first.end_date + timedelta(days=1), months=6)
    assert assign(api, first, gp).status_code == 201
    response = assign(api, second, gp)
    assert response.status_code == 409 and error_of(response)["code"] == "gp_already_placed"
    assert "3 + 3" in error_of(response)["message"]


# ---- a run


def test_a_run_places_a_split_gp_in_two_blocks(ctx):
    gp = split_gp()
    first, second, _ = blocks()
    execute(RunRequest(as_of=TODAY))
    live = db.session.scalars(
        sa.select(Match).where(Match.gp_id == gp.id).order_by(Match.slot)
    ).all()
    assert [(m.period_id, m.slot, m.status) for m in live] == [
        (first.id, 1, "proposed"),
        (second.id, 2, "proposed"),
    ]
    execute(RunRequest(as_of=TODAY))  # the next run keeps both
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Match).where(Match.status == "proposed")
        )
        == 2
    )


# ---- the GP's window: API and pages


def test_the_api_window_says_split_allowed(ctx, client):
    gp = factories.make_gp()
    api = Api.login(client, gp.user.email)
    body = {
        "earliest_start": (TODAY + timedelta(days=30)).isoformat(),
        "latest_end": (TODAY + timedelta(days=400)).isoformat(),
        "months": 4,
        "accept_other_specialty": True,
        "split_allowed": True,
    }
    response = api.post("/me/availabilities", json=body)
    assert response.status_code == 422 and "split_allowed" in error_of(response)["fields"]
    response = api.post("/me/availabilities", json={**body, "months": 6})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["split_allowed"] is True
    window = db.session.get(Availability, response.get_json()["id"])
    assert window.split_allowed
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "split_allowed" in spec["Availability"]["properties"]
    assert "slot" in spec["Match"]["properties"]


def test_the_availability_form_has_the_split_checkbox(ctx, client):
    gp = factories.make_gp()
    browser = Browser(client)
    assert browser.login(gp.user.email).status_code == 302
    page = client.get("/availability/new").get_data(as_text=True)
    assert "Jeg kan ta to blokker på 3 måneder" in page and problems(page) == []
    data = {
        "earliest_start": (TODAY + timedelta(days=30)).isoformat(),
        "latest_end": (TODAY + timedelta(days=400)).isoformat(),
        "months": "6",
        "accept_other_specialty": "y",
        "split_allowed": "y",
    }
    response = browser.submit("/availability/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    window = db.session.scalar(sa.select(Availability).where(Availability.gp_id == gp.id))
    assert window.split_allowed and window.months == 6


def test_the_gp_sees_both_blocks_and_the_coordinator_sees_split(ctx, client):
    gp = split_gp()
    first, second, _ = blocks()
    live_match(first, gp)
    live_match(second, gp, 2)
    db.session.commit()
    browser = Browser(client)
    assert browser.login(gp.user.email).status_code == 302
    page = client.get("/my/matches").get_data(as_text=True)
    assert "Blokk 1 av 2" in page and "Blokk 2 av 2" in page and problems(page) == []
    browser.logout()
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    assert browser.login(coordinator.email).status_code == 302
    waiting = client.get("/coordination/waiting").get_data(as_text=True)
    assert "delt" in waiting and "0 måneder igjen" in waiting


# ---- a combined period over two departments (part 4)


def bergen_departments():
    from app.models import Department, Trust

    return db.session.scalars(
        sa.select(Department)
        .join(Trust, Department.trust_id == Trust.id)
        .where(Trust.code == "helse-bergen", Department.active.is_(True))
        .order_by(Department.id)
    ).all()[:2]


def combined_body(first, second, **overrides):
    end = START + timedelta(days=200)
    body = {
        "department_id": first.id,
        "start_date": START.isoformat(),
        "end_date": end.isoformat(),
        "source": "parental_leave",
        "second_department_id": second.id,
        "switch_date": (START + timedelta(days=100)).isoformat(),
    }
    return body | overrides


def test_a_trust_publishes_a_period_over_two_departments(ctx, client):
    first, second = bergen_departments()
    staff = Api.login(client, factories.make_user("trust", trust_code="helse-bergen").email)
    for overrides, field in [
        ({"switch_date": (START + timedelta(days=20)).isoformat()}, "switch_date"),
        ({"second_department_id": first.id}, "second_department_id"),
        ({"switch_date": None}, "switch_date"),
    ]:
        response = staff.post("/periods", json=combined_body(first, second, **overrides))
        assert response.status_code == 422, (overrides, response.get_json())
        assert field in error_of(response)["fields"]
    response = staff.post("/periods", json=combined_body(first, second))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["second_department_id"] == second.id
    assert created["switch_date"] == (START + timedelta(days=100)).isoformat()
    from app.models import Period
    from app.runs.problem import build_problems

    period = db.session.get(Period, created["id"])
    (problem,) = [p for p in build_problems(TODAY) if p.region.code == "helse-vest"]
    entry = next(p for p in problem.problem["periods"] if p["id"] == str(period.id))
    assert entry["second_department"] == str(second.id)
    assert str(second.id) in {d["id"] for d in problem.problem["departments"]}


def test_each_half_counts_in_its_department(ctx):
    from app.lifecycle import publish_period
    from app.periods.services import PeriodInput

    first, second = bergen_departments()
    with fixture_writes():
        second.alis_capacity = 1
    switch = START + timedelta(days=100)
    combined = publish_period(
        PeriodInput(
            department_id=first.id,
            start_date=START,
            end_date=START + timedelta(days=200),
            source="parental_leave",
            second_department_id=second.id,
            switch_date=switch,
        ),
        actor=None,
    )
    rival = publish_period(
        PeriodInput(
            department_id=second.id,
            start_date=switch,
            end_date=switch + timedelta(days=95),
            source="parental_leave",
        ),
        actor=None,
    )
    db.session.commit()
    early = factories.make_gp()
    factories.make_window(early, start=START - timedelta(days=5), months=6, accept_other=True)
    late = factories.make_gp()
    factories.make_window(late, start=switch - timedelta(days=5), months=3, accept_other=True)
    execute(RunRequest(as_of=TODAY))
    live = db.session.scalars(sa.select(Match).where(Match.status == "proposed")).all()
    # the second department takes one GP at a time: the combined period's second half
    # and the rival period cannot both be filled
    assert len({m.period_id for m in live} & {combined.id, rival.id}) == 1


def test_the_vacancy_list_shows_the_second_department(ctx, client):
    from app.lifecycle import publish_period
    from app.periods.services import PeriodInput

    first, second = bergen_departments()
    period = publish_period(
        PeriodInput(
            department_id=first.id,
            start_date=START,
            end_date=START + timedelta(days=200),
            source="parental_leave",
            second_department_id=second.id,
            switch_date=START + timedelta(days=100),
        ),
        actor=None,
    )
    factories.force_status(period, "advertised")
    page = client.get("/vacancies").get_data(as_text=True)
    assert f"deretter {second.name}" in page and problems(page) == []
    items = client.get("/api/v1/vacancies").get_json()["items"]
    assert items[0]["second_department_id"] == second.id


def test_the_explanations_name_both_blocks_as_the_gps_own(ctx, client):
    gp = split_gp()
    first, second, _ = blocks()
    live_match(first, gp)
    live_match(second, gp, 2)
    db.session.commit()
    api = Api.login(client, gp.user.email)
    items = {i["period_id"]: i for i in api.get("/me/explanations").get_json()["items"]}
    assert items[first.id]["outcome"] == items[second.id]["outcome"] == "proposed"
    assert items[second.id]["reason"] == "matched"


def test_trust_staff_publish_a_combined_period_on_the_page(ctx, client):
    first, second = bergen_departments()
    user = factories.make_user("trust", trust_code="helse-bergen")
    browser = Browser(client)
    assert browser.login(user.email).status_code == 302
    page = client.get("/periods/new").get_data(as_text=True)
    assert "Andre avdeling" in page and problems(page) == []
    data = {
        "department_id": str(first.id),
        "start_date": START.isoformat(),
        "end_date": (START + timedelta(days=200)).isoformat(),
        "source": "parental_leave",
        "second_department_id": str(second.id),
        "switch_date": (START + timedelta(days=20)).isoformat(),  # 20 days in the first
    }
    response = browser.submit("/periods/new", data)
    assert response.status_code == 422
    assert "minst 3 måneder i hver avdeling" in response.get_data(as_text=True)
    data["switch_date"] = (START + timedelta(days=100)).isoformat()
    response = browser.submit("/periods/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    from app.models import Period

    period = db.session.scalar(sa.select(Period).where(Period.second_department_id == second.id))
    assert period.switch_date == START + timedelta(days=100)
    detail = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert f"deretter {second.name}" in detail and problems(detail) == []
