"""The assign page lists who fits the chosen period, in the matching's order, and says why
each other GP does not, with the facts (the engine's reasons, app.coordination.fit)."""

from datetime import timedelta

from app.coordination import fit
from app.dates import add_months, local_today
from app.extensions import db

from . import factories
from .conftest import Browser

TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)


def six_months(trust_code="helse-bergen"):
    return factories.make_period(trust_code, start=START, months=6)


def gp_with_window(name, months_gp=60, **window):
    gp = factories.make_gp(name=name, months_general_practice=months_gp)
    window.setdefault("specialties", ["internal-medicine"])  # the department's
    factories.make_window(gp, start=START - timedelta(days=10), **window)
    return gp


def test_verdicts_rank_who_fits_and_give_the_engine_reasons(ctx):
    period = six_months()
    senior = gp_with_window("Senior", months_gp=90)
    junior = gp_with_window("Junior", months_gp=50)
    long = gp_with_window("Vil Ha Tolv", months=12)
    elsewhere = gp_with_window("Vil Til Fonna", trusts=["helse-fonna"])
    fresh = gp_with_window("Fersk", months_gp=3)
    judged = {
        v.gp.name: v for v in fit.verdicts(period, [senior, junior, long, elsewhere, fresh], TODAY)
    }
    assert [n for n, v in judged.items() if v.position] == ["Senior", "Junior"]
    assert judged["Senior"].position == 1 and judged["Junior"].position == 2
    assert judged["Vil Ha Tolv"].reasons == ["too_short"]
    assert judged["Vil Til Fonna"].reasons == ["trust_not_wished"]
    assert judged["Fersk"].reasons == ["not_eligible"]


def test_the_assign_page_lists_who_fits_and_says_why_others_do_not(ctx, client):
    period = six_months()
    gp_with_window("Passer Bra")
    gp_with_window("Vil Ha Tolv", months=12)
    gp_with_window("Vil Til Fonna", trusts=["helse-fonna"])
    user = factories.make_user("coordinator", region_code="helse-vest")
    db.session.commit()
    Browser(client).login(user.email)
    page = client.get(f"/coordination/assign?period_id={period.id}").get_data(as_text=True)
    fitting = page.split('id="fitting-title"')[1].split('id="unfit-title"')[0]
    unfit = page.split('id="unfit-title"')[1].split('id="assign-form"')[0]
    assert "Passer Bra" in fitting and "gp_id=" in fitting
    assert "Vil Ha Tolv" in unfit and "Ønsker 12 måneder; perioden dekker 6." in unfit
    assert "Vil Til Fonna" in unfit and "ikke Helse Bergen" in unfit
    assert "Vil Ha Tolv" not in fitting


def test_a_period_outside_the_region_shows_no_list(ctx, client):
    period = six_months("ahus")
    user = factories.make_user("coordinator", region_code="helse-vest")
    db.session.commit()
    Browser(client).login(user.email)
    assert client.get(f"/coordination/assign?period_id={period.id}").status_code == 404
