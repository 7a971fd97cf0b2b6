"""A run's page says what held a pair that priority could not follow: the period's
holder, the GP's own assignment, or the department (not "the GP or the period")."""

from datetime import timedelta

from app import lifecycle
from app.dates import add_months, local_today
from app.extensions import db
from app.runs.services import RunRequest, execute

from . import factories
from .conftest import Browser

TODAY = local_today()
START = add_months(TODAY.replace(day=1), 3)


def waiting(name, months):
    gp = factories.make_gp(name=name, months_general_practice=months)
    factories.make_window(gp, start=START - timedelta(days=10), specialties=["internal-medicine"])
    return gp


def test_a_pinned_period_names_its_holder(ctx, client):
    period = factories.make_period("helse-bergen", start=START, months=6)
    waiting("Eldre Lege", 120)  # higher priority, passed over for the pin
    junior = waiting("Yngre Lege", 40)
    coordinator = factories.make_user("coordinator", region_code="helse-vest")
    lifecycle.assign(period, junior, reason="Avtalt", actor=coordinator)
    db.session.commit()
    run = execute(RunRequest(TODAY, dry_run=True, trigger="manual", actor=coordinator))
    db.session.commit()
    Browser(client).login(coordinator.email)
    page = client.get(f"/coordination/runs/{run.id}").get_data(as_text=True)
    groups = page.split('id="why-helse-vest"')[1].split("</table>")[0]
    assert "En ALIS-koordinators tildeling" in groups and ">1</td>" in groups
    link = f"/coordination/runs/{run.id}?cause=pin&amp;department={period.department_id}"
    assert link in groups
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    why = page.split('id="group-helse-vest"')[1].split("</table>")[0]
    assert "Eldre Lege" in why
    assert "en ALIS-koordinator har tildelt perioden til Yngre Lege" in why
    assert "ALIS-legen eller perioden" not in why
