"""The GP's availability window: ranked wishes, validation next to each field, one current
window, one region, pause/resume/withdraw (which cancel a live proposal)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import local_today
from app.extensions import db
from app.gps import services
from app.lifecycle import follow_match as refresh_period_status
from app.models import AuditEvent, Availability, Match, Period, Specialty
from app.models.types import utcnow

from . import factories
from .a11y import problems
from .conftest import Browser

TODAY = local_today()


def specialty(code):
    return db.session.scalar(sa.select(Specialty).where(Specialty.code == code))


def english_gp(**profile):
    gp = factories.make_gp(**profile)
    gp.user.locale = "en"
    db.session.commit()
    return gp


def logged_in(client, gp):
    browser = Browser(client)
    assert browser.login(gp.user.email).status_code == 302
    return browser


def form_data(**overrides):
    data = {
        "earliest_start": (TODAY + timedelta(days=30)).isoformat(),
        "latest_end": (TODAY + timedelta(days=400)).isoformat(),
        "months": "6",
        "specialty_1": str(specialty("psychiatry").id),
        "specialty_2": str(specialty("paediatrics").id),
        "trust_1": str(factories.trust("helse-bergen").id),
        "trust_2": str(factories.trust("helse-stavanger").id),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def propose(gp, period):
    """A live (solver) proposal, as a run would leave it."""
    match = Match(period=period, gp=gp, source="solver", confirmed_at=utcnow())
    db.session.add(match)
    db.session.flush()
    refresh_period_status(period)
    db.session.commit()
    return match


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_window_with_ranked_wishes_round_trip(ctx, client):
    gp = english_gp()
    browser = logged_in(client, gp)
    page = client.get("/availability/new")
    assert page.status_code == 200 and problems(page.get_data(as_text=True)) == []
    assert 'name="months" type="number" value="6"' in page.get_data(as_text=True)

    data = form_data(
        specialty_1=str(specialty("paediatrics").id),
        specialty_2="0",
        specialty_3=str(specialty("psychiatry").id),
        accept_other_specialty="y",
    )
    response = browser.submit("/availability/new", data)
    assert response.status_code == 302
    window = services.current_window(gp)
    assert [s.code for s in window.specialties] == ["paediatrics", "psychiatry"]
    assert [t.code for t in window.trusts] == ["helse-bergen", "helse-stavanger"]
    assert window.accept_other_specialty and window.months == 6 and window.status == "active"
    created = events("availability.created")[0]
    assert created.data["specialties"] == ["paediatrics", "psychiatry"]
    assert (created.object_type, created.object_id) == ("availability", window.id)

    listing = client.get("/availability").get_data(as_text=True)
    assert problems(listing) == []
    assert listing.index("Paediatrics") < listing.index("Psychiatry")

    edit_url = f"/availability/{window.id}/edit"
    edit = client.get(edit_url).get_data(as_text=True)
    assert problems(edit) == []
    assert f'<option selected value="{specialty("paediatrics").id}">' in edit
    swapped = form_data(trust_1=str(factories.trust("helse-stavanger").id), trust_2="0", months="3")
    assert browser.submit(edit_url, swapped).status_code == 302
    db.session.refresh(window)
    assert [s.code for s in window.specialties] == ["psychiatry", "paediatrics"]
    assert [t.code for t in window.trusts] == ["helse-stavanger"]
    assert window.months == 3
    changes = events("availability.updated")[0].data
    assert changes["months"] == [6, 3] and changes["trusts"][1] == ["helse-stavanger"]


def test_old_scheme_defaults_to_twelve_months(ctx, client):
    gp = english_gp(scheme="old")
    logged_in(client, gp)
    assert 'value="12"' in client.get("/availability/new").get_data(as_text=True)


ERROR_CASES = {
    "start missing": ({"earliest_start": ""}, "earliest_start", "Enter the earliest start"),
    "start not a date": ({"earliest_start": "31.02.2027"}, "earliest_start", "valid date"),
    "start in the past": (
        {"earliest_start": (TODAY - timedelta(days=1)).isoformat()},
        "earliest_start",
        "cannot be in the past",
    ),
    "end before start": (
        {"latest_end": (TODAY + timedelta(days=10)).isoformat()},
        "latest_end",
        "after the earliest start",
    ),
    "window shorter than months": (
        {"latest_end": (TODAY + timedelta(days=100)).isoformat()},
        "latest_end",
        "at least 6 months",
    ),
    "months too few": ({"months": "2"}, "months", "between 3 and 24"),
    "months too many": ({"months": "25"}, "months", "between 3 and 24"),
    "months not a number": ({"months": "six"}, "months", "integer"),
    "no specialty": (
        {"specialty_1": "0", "specialty_2": "0"},
        "specialty_1",
        "at least one specialty",
    ),
    "duplicate specialty": (
        {"specialty_3": "__psychiatry__"},
        "specialty_3",
        "already chosen",
    ),
    "duplicate trust": ({"trust_2": "__helse-bergen__"}, "trust_2", "already chosen"),
    "trusts in two regions": ({"trust_2": "__ahus__"}, "trust_2", "one region"),
    "unknown choice": ({"trust_1": "999999"}, "trust_1", "Not a valid choice"),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_each_error_is_shown_next_to_its_field(ctx, client, case):
    overrides, field, text = ERROR_CASES[case]
    gp = english_gp()
    browser = logged_in(client, gp)
    codes = {"__psychiatry__": str(specialty("psychiatry").id)}
    codes |= {f"__{c}__": str(factories.trust(c).id) for c in ("helse-bergen", "ahus")}
    overrides = {k: codes.get(v, v) for k, v in overrides.items()}
    response = browser.submit("/availability/new", form_data(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert text in error
    assert problems(page) == [] and 'role="alert"' in page
    assert services.current_window(gp) is None
    if "months" not in overrides:
        assert 'name="months" type="number" value="6"' in page  # nothing typed is lost


def test_cross_region_trusts_are_refused_by_the_service(ctx_en):
    gp = factories.make_gp()
    data = services.AvailabilityInput(
        earliest_start=TODAY + timedelta(days=30),
        latest_end=TODAY + timedelta(days=400),
        months=6,
        specialty_ids=(specialty("psychiatry").id,),
        trust_ids=(factories.trust("helse-bergen").id, factories.trust("unn").id),
    )
    with pytest.raises(services.AvailabilityError) as error:
        lifecycle.create_availability(gp, data, actor=gp.user)
    assert error.value.codes == {"trusts[1]": "other_region"}
    assert "one region" in error.value.field_messages()["trusts[1]"]


def test_a_gp_has_one_current_window(ctx, client):
    gp = english_gp()
    window = factories.make_window(gp, specialties=["psychiatry"])
    browser = logged_in(client, gp)
    page = client.get("/availability/new")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert f"/availability/{window.id}/edit" in html and problems(html) == []
    assert browser.submit("/availability/new", form_data(), page="/availability").status_code == 409
    with pytest.raises(services.AvailabilityConflict) as error:
        lifecycle.create_availability(
            gp,
            services.AvailabilityInput(TODAY + timedelta(days=30), TODAY + timedelta(days=400), 6),
            actor=gp.user,
        )
    assert error.value.code == "availability_exists"
    count = db.session.scalar(sa.select(sa.func.count()).where(Availability.gp_id == gp.id))
    assert count == 1


def test_pause_resume_withdraw_and_withdraw_cancels_a_live_proposal(ctx, client):
    gp = english_gp()
    window = factories.make_window(gp, specialties=["psychiatry"])
    period = factories.make_period(start=TODAY + timedelta(days=60))
    browser = logged_in(client, gp)
    url = f"/availability/{window.id}/status"

    assert browser.submit(url, {"action": "pause"}, page="/availability").status_code == 303
    db.session.refresh(window)
    assert window.status == "paused"
    paused_page = client.get("/availability").get_data(as_text=True)
    assert "Resume" in paused_page and problems(paused_page) == []
    assert browser.submit(url, {"action": "resume"}, page="/availability").status_code == 303
    db.session.refresh(window)
    assert window.status == "active"

    match = propose(gp, period)
    assert db.session.get(Period, period.id).status == "matched"
    assert browser.submit(url, {"action": "withdraw"}, page="/availability").status_code == 303
    db.session.refresh(window)
    match = db.session.get(Match, match.id)
    assert window.status == "withdrawn" and match.status == "cancelled"
    assert db.session.get(Period, period.id).status == "open"
    cancelled = events("match.cancelled")[0]
    assert cancelled.reason == "GP withdrew availability" and cancelled.actor_id == gp.user_id
    changes = [len(events(f"availability.{s}")) for s in ("paused", "active", "withdrawn")]
    assert changes == [1, 1, 1]
    page = client.get("/availability").get_data(as_text=True)
    assert "Register availability" in page and "withdrawn" in page and problems(page) == []


def test_pausing_cancels_a_proposal_but_not_with_an_open_offer(ctx, client):
    gp = english_gp()
    window = factories.make_window(gp, specialties=["psychiatry"])
    period = factories.make_period(start=TODAY + timedelta(days=60))
    match = propose(gp, period)
    lifecycle.set_availability_status(window, "pause", actor=gp.user)
    db.session.commit()
    assert db.session.get(Match, match.id).status == "cancelled"
    assert events("match.cancelled")[0].reason == "GP paused availability"

    lifecycle.set_availability_status(window, "resume", actor=gp.user)
    offered = propose(gp, period)
    offered.accept_by = TODAY + timedelta(days=7)
    factories.force_status(offered, "offered")
    db.session.commit()
    browser = logged_in(client, gp)
    response = browser.submit(
        f"/availability/{window.id}/status", {"action": "withdraw"}, page="/availability"
    )
    assert response.status_code == 303
    db.session.refresh(window)
    assert window.status == "active" and db.session.get(Match, offered.id).status == "offered"
    page = client.get("/availability").get_data(as_text=True)
    assert "Accept or decline it before" in page
    edit = client.get(f"/availability/{window.id}/edit")
    assert edit.status_code == 302  # editing waits until the offer is answered


def test_a_live_proposal_that_no_longer_fits_is_cancelled_on_edit(ctx):
    gp = factories.make_gp()
    window = factories.make_window(gp, specialties=["psychiatry"])
    period = factories.make_period(start=TODAY + timedelta(days=60))
    match = propose(gp, period)
    data = services.AvailabilityInput(
        earliest_start=window.earliest_start,
        latest_end=window.latest_end,
        months=6,
        specialty_ids=(specialty("psychiatry").id,),
    )
    lifecycle.update_availability(window, data, actor=gp.user)
    assert db.session.get(Match, match.id).status == "proposed"  # still fits
    later = services.AvailabilityInput(
        earliest_start=period.start_date + timedelta(days=1),
        latest_end=window.latest_end + timedelta(days=200),
        months=6,
        specialty_ids=(specialty("psychiatry").id,),
    )
    changes = lifecycle.update_availability(window, later, actor=gp.user)
    assert "earliest_start" in changes
    assert db.session.get(Match, match.id).status == "cancelled"


def test_other_gps_windows_answer_404_and_other_roles_403(ctx, client):
    owner = factories.make_gp()
    window = factories.make_window(owner, specialties=["psychiatry"])
    browser = logged_in(client, english_gp())
    assert client.get(f"/availability/{window.id}/edit").status_code == 404
    response = browser.submit(
        f"/availability/{window.id}/status", {"action": "withdraw"}, page="/availability"
    )
    assert response.status_code == 404
    db.session.refresh(window)
    assert window.status == "active"
    browser.logout()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    browser.login(staff.email)
    for path in ("/availability", "/availability/new", "/my/matches", "/my/why-not"):
        assert client.get(path).status_code == 403
