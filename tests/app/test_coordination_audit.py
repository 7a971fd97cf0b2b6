"""The audit log page: newest first, filters by object, person and action, a clear error
for a malformed object, pagination, and the region scope."""

import pytest
import sqlalchemy as sa

from app import audit
from app.coordination.audit_log import ObjectRefError, audit_query, parse_object_ref
from app.extensions import db
from app.models import AuditEvent, Match

from . import factories
from .conftest import Browser


@pytest.fixture
def world(ctx):
    """Events about a Helse Vest period and match, and about an Ahus period."""
    bergen = factories.make_period("helse-bergen")
    ahus = factories.make_period("ahus")
    gp = factories.make_gp(name="Kari Revisjon")
    match = Match(period=bergen, gp=gp, source="solver")  # proposed
    db.session.add(match)
    db.session.flush()
    anne = factories.make_user("coordinator", region_code="helse-vest", email="anne@vest.no")
    audit.record("match.cancelled", match, actor=anne, reason="Feil avdeling")
    audit.record("period.published", ahus, actor=None)
    db.session.commit()
    return {"bergen": bergen, "ahus": ahus, "match": match, "gp": gp, "anne": anne}


def login(client, region="helse-vest"):
    user = factories.make_user("coordinator", region_code=region)
    user.locale = "en"  # the tests read the English words
    db.session.commit()
    Browser(client).login(user.email)
    return user


def rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return body.split("<tr>")[1:]


def test_object_filter(world, client):
    login(client)
    page = client.get(f"/coordination/audit?object=match:{world['match'].id}").get_data(
        as_text=True
    )
    found = rows(page)
    assert len(found) == 1 and "Feil avdeling" in found[0]
    assert f"object=match:{world['match'].id}" in found[0]  # a link that filters by it
    page = client.get(f"/coordination/audit?object=period:{world['bergen'].id}").get_data(
        as_text=True
    )
    # the period's own events, and those of its matches (offers, answers, hiring)
    assert [("Period published" in r, "Match cancelled" in r) for r in rows(page)] == [
        (False, True),
        (True, False),
    ]


def test_the_log_is_in_words(world, client):
    """Actions, objects and stored keys in words; a change as its old and new value."""
    gp, period = world["gp"], world["bergen"]
    anne = world["anne"]
    audit.record(
        "match.assigned",
        world["match"],
        actor=anne,
        reason="Kjent",
        data={"period_id": period.id, "gp_id": gp.id},
    )
    audit.record(
        "department.capacity_changed",
        period.department,
        actor=anne,
        reason="Ny veileder",
        data={"alis_capacity": [1, 3]},
    )
    db.session.commit()
    login(client)
    page = client.get("/coordination/audit").get_data(as_text=True)
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    for raw in ("match.assigned", "gp_id", "period_id", "alis_capacity", "match:"):
        assert raw + ":" not in table and f">{raw}<" not in table
    assigned = next(r for r in rows(page) if "Kjent" in r)
    assert "Candidate assigned" in assigned and "Kari Revisjon" in assigned
    assert period.department.name in assigned
    capacity = next(r for r in rows(page) if "Ny veileder" in r)
    assert "ALIS capacity" in capacity
    old, new = capacity.split('class="old">')[1], capacity.split('class="new">')[1]
    assert old.split("</span>")[1].strip() == "1" and new.split("</span>")[1].strip() == "3"


def test_person_and_action_filters(world, client):
    login(client)
    page = client.get("/coordination/audit?person=ANNE@").get_data(as_text=True)
    assert [("Feil avdeling" in r) for r in rows(page)] == [True]
    page = client.get("/coordination/audit?action=period.published").get_data(as_text=True)
    assert rows(page) and all("Period published" in r for r in rows(page))
    page = client.get("/coordination/audit?person=kari revisjon").get_data(as_text=True)
    assert [("GP registered" in r) for r in rows(page)] == [True]  # by name: her registration


@pytest.mark.parametrize("value", ["period", "period:", "12", "planet:4", "period:x"])
def test_a_malformed_object_filter_says_how_to_write_it(world, client, value):
    login(client)
    response = client.get(f"/coordination/audit?object={value}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="object-error"' in page and "type:number" in page
    assert f'value="{value}"' in page  # what was typed is kept


def test_regional_coordinators_see_their_region(world, client):
    login(client)
    page = client.get("/coordination/audit").get_data(as_text=True)
    assert f"period:{world['bergen'].id}" in page
    assert f"period:{world['ahus'].id}" not in page
    assert (
        rows(
            client.get(f"/coordination/audit?object=period:{world['ahus'].id}").get_data(
                as_text=True
            )
        )
        == []
    )


def test_national_coordinators_see_everything(world, client):
    user = factories.make_user("coordinator")
    Browser(client).login(user.email)
    page = client.get("/coordination/audit").get_data(as_text=True)
    assert f"period:{world['ahus'].id}" in page and f"period:{world['bergen'].id}" in page


def test_pages_of_fifty_newest_first(world, client):
    for n in range(60):
        audit.record("period.published", world["bergen"], reason=f"hendelse {n}")
    db.session.commit()
    login(client)
    first = client.get("/coordination/audit").get_data(as_text=True)
    assert len(rows(first)) == 50 and "Page 1 of 2" in first
    assert "hendelse 59" in rows(first)[0]
    second = client.get("/coordination/audit?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and len(rows(second)) > 0


def test_the_query_is_the_apis_too(world):
    assert parse_object_ref(" Match : 7 ") == ("match", 7)
    with pytest.raises(ObjectRefError):
        parse_object_ref("match:")
    trust_staff = factories.make_user("trust", trust_code="helse-bergen")
    seen = {(e.object_type, e.object_id) for e in db.session.scalars(audit_query(trust_staff))}
    assert seen == {("period", world["bergen"].id), ("matche", world["match"].id)} or seen == {
        ("period", world["bergen"].id),
        ("match", world["match"].id),
    }
    gp_user = world["gp"].user
    assert db.session.scalars(audit_query(gp_user)).all() == []
    admin = factories.make_user("admin")
    everything = db.session.scalars(audit_query(admin)).all()
    assert len(everything) == db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
