"""Reference data: what the sources say, and loading it again changes nothing."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Department, Municipality, Policy, Site, Specialty, Trust
from app.policy import effective_policy
from app.reference.loader import DATA_DIR, load_reference_data, reference_counts

from . import factories


def data(name):
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_counts_match_the_data_files(ctx):
    counts = reference_counts()
    assert counts["regions"] == 4
    assert counts["trusts"] == len(data("trusts")["trusts"])
    assert counts["sites"] == sum(len(t["sites"]) for t in data("trusts")["trusts"])
    assert counts["specialties"] == len(data("specialties")["specialties"]) >= 20
    assert counts["departments"] == len(data("departments")["departments"])
    assert counts["municipalities"] == len(data("municipalities")["municipalities"])
    assert counts["policies"] == 4 + sum(1 for t in data("trusts")["trusts"] if t["policy"])


def test_loading_again_changes_nothing(ctx):
    before = reference_counts()
    assert load_reference_data() == {}
    db.session.flush()
    assert reference_counts() == before


def test_reload_keeps_what_users_edited(ctx):
    department = factories.department("helse-bergen")
    department.alis_capacity = 7
    policy = factories.region("helse-vest").policy
    policy.min_months_general_practice = 30
    db.session.flush()
    load_reference_data()
    assert department.alis_capacity == 7
    assert policy.min_months_general_practice == 30


def test_the_four_regions():
    codes = {r["code"] for r in data("regions")["regions"]}
    assert codes == {"helse-vest", "helse-sor-ost", "helse-midt", "helse-nord"}


def test_all_of_vestland_and_rogaland_with_their_catchment_trust(ctx):
    rows = db.session.execute(
        sa.select(Municipality.county, Municipality.number, Trust.code).join(
            Trust, Municipality.trust_id == Trust.id
        )
    ).all()
    vestland = [r for r in rows if r.county == "Vestland"]
    rogaland = [r for r in rows if r.county == "Rogaland"]
    assert len(vestland) == 43 and all(r.number.startswith("46") for r in vestland)
    assert len(rogaland) == 23 and all(r.number.startswith("11") for r in rogaland)
    assert {r.code for r in vestland} == {"helse-bergen", "helse-fonna", "helse-forde"}
    assert {r.code for r in rogaland} == {"helse-stavanger", "helse-fonna"}


def test_every_municipality_of_2024_with_its_county_and_catchment_trust(ctx):
    """Issue 19: the 357 municipalities of 1 January 2024 in their 15 counties, each with the
    health trust whose catchment it lies in, in every region."""
    rows = db.session.execute(
        sa.select(Municipality.county, Municipality.number, Trust.kind, Trust.region_id)
        .join(Trust, Municipality.trust_id == Trust.id)
        .where(Municipality.kind == "municipality")
    ).all()
    assert len(rows) == 357
    per_county = {}
    for county, number, kind, _ in rows:
        per_county.setdefault(county, set()).add(number[:2])
        assert kind == "health_trust", number
    assert len(per_county) == 15
    assert all(len(prefixes) == 1 for prefixes in per_county.values())  # one number series each
    assert {c: sum(1 for r in rows if r.county == c) for c in per_county} == {
        "Oslo": 1, "Rogaland": 23, "Møre og Romsdal": 27, "Nordland": 41, "Østfold": 12,
        "Akershus": 21, "Buskerud": 18, "Innlandet": 46, "Vestfold": 6, "Telemark": 17,
        "Agder": 25, "Vestland": 43, "Trøndelag": 38, "Troms": 21, "Finnmark": 18,
    }  # fmt: skip
    assert len({region for *_, region in rows}) == 4
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Municipality)
            .where(Municipality.trust_id.is_(None))
        )
        == 0
    )


def test_the_reference_self_check_passes_and_reports_counts():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(DATA_DIR / "check.py")], capture_output=True, text=True, check=True
    ).stdout
    assert "357 municipalities in 15 counties" in out
    assert "Finnmark 18" in out and "helse-nord 80" in out


@pytest.mark.parametrize(
    "number, name, trust",
    [
        ("5601", "Alta", "finnmarkssykehuset"),
        ("5612", "Guovdageaidnu - Kautokeino", "finnmarkssykehuset"),
        ("1806", "Narvik", "unn"),
        ("1804", "Bodø", "nordlandssykehuset"),
        ("1833", "Rana", "helgelandssykehuset"),
        ("5001", "Trondheim - Tråante", "st-olavs-hospital"),
        ("5006", "Steinkjer", "helse-nord-trondelag"),
        ("1506", "Molde", "helse-more-og-romsdal"),
        ("3216", "Vestby", "sykehuset-ostfold"),
        ("3403", "Hamar", "sykehuset-innlandet"),
        ("3401", "Kongsvinger", "ahus"),
        ("3901", "Horten", "sykehuset-i-vestfold"),
        ("4003", "Skien", "sykehuset-telemark"),
        ("4204", "Kristiansand", "sorlandet-sykehus"),
        ("3301", "Drammen", "vestre-viken"),
        ("4601", "Bergen", "helse-bergen"),
        ("4621", "Voss", "helse-bergen"),
        ("1103", "Stavanger", "helse-stavanger"),
        ("1106", "Haugesund", "helse-fonna"),
        ("4613", "Bømlo", "helse-fonna"),
        ("4647", "Sunnfjord", "helse-forde"),
        ("3205", "Lillestrøm", "ahus"),
        ("030110", "Bydel Grorud", "ahus"),
    ],
)
def test_known_catchments(ctx, number, name, trust):
    municipality = factories.municipality(number)
    assert municipality.name == name
    assert municipality.trust.code == trust


def test_helse_vest_trusts_and_private_hospitals(ctx):
    vest = factories.region("helse-vest")
    codes = {t.code for t in vest.trusts}
    assert {
        "helse-bergen",
        "helse-stavanger",
        "helse-fonna",
        "helse-forde",
        "haraldsplass",
    } <= codes
    private = [t for t in vest.trusts if t.kind == "private_nonprofit"]
    assert len(private) >= 3
    assert all(t.sites for t in vest.trusts)
    site_names = {s.name for s in factories.trust("helse-bergen").sites}
    assert any("Haukeland" in n for n in site_names) and any("Voss" in n for n in site_names)


def test_other_regions_named_in_the_sources(ctx):
    for code, region in [
        ("ahus", "helse-sor-ost"),
        ("vestre-viken", "helse-sor-ost"),
        ("unn", "helse-nord"),
    ]:
        assert factories.trust(code).region.code == region
    for region in ("helse-sor-ost", "helse-midt", "helse-nord"):
        assert len(factories.region(region).trusts) >= 3


def test_required_specialty_codes(ctx):
    codes = set(db.session.scalars(sa.select(Specialty.code)))
    assert {
        "psychiatry",
        "internal-medicine",
        "paediatrics",
        "orthopaedics",
        "ent",
        "gynaecology",
        "child-adolescent-psychiatry",
        "addiction-medicine",
        "geriatrics",
        "neurology",
        "emergency-medicine",
    } <= codes
    for specialty in db.session.scalars(sa.select(Specialty)):
        assert specialty.name_nb and specialty.name_nn and specialty.name_en


def test_departments_are_realistic(ctx):
    for trust in ("helse-bergen", "helse-stavanger", "helse-fonna", "helse-forde"):
        departments = factories.trust(trust).departments
        assert len(departments) >= 6
        assert all(1 <= d.alis_capacity <= 3 for d in departments)
        assert len({d.specialty_id for d in departments}) >= 5
    unsited = db.session.scalar(
        sa.select(sa.func.count()).select_from(Department).where(Department.site_id.is_(None))
    )
    assert unsited == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) > 40


def test_policies_follow_the_sources(ctx):
    vest = factories.region("helse-vest").policy
    assert vest.min_months_general_practice == 36 and vest.fallback_months == 2
    ahus = effective_policy(factories.trust("ahus"))
    assert list(ahus.priority[:5]) == [
        "catchment",
        "first_choice",
        "months_general_practice",
        "courses_completed",
        "supervision_group_months",
    ]
    assert ahus.selection == "shortlist" and ahus.shortlist_size <= 15
    vv = effective_policy(factories.trust("vestre-viken"))
    assert vv.priority[0] == "registered_at" and vv.min_months_general_practice == 24
    # a trust without an override follows its region
    fonna = effective_policy(factories.trust("helse-fonna"))
    assert (fonna.source, fonna.policy_id) == ("region", vest.id)
    assert all(p.priority[-1] == "lottery" for p in db.session.scalars(sa.select(Policy)))


def test_every_fact_names_its_source():
    for name in ("regions", "trusts", "specialties", "departments", "municipalities"):
        content = data(name)
        sources = content["sources"]
        items = next(v for k, v in content.items() if k != "sources")
        for item in items:
            assert item["sources"], (name, item)
            assert set(item["sources"]) <= set(sources), (name, item)


def test_reference_load_command(app):
    result = app.test_cli_runner().invoke(args=["reference", "load"])
    assert result.exit_code == 0, result.output
    assert "4 regions" in result.output


def test_reference_data_is_public(client):
    page = client.get("/trusts").get_data(as_text=True)
    assert "Haraldsplass" in page and "Helse Førde" in page
