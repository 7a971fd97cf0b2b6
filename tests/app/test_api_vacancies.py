"""JSON API: public vacancies (periods advertised the ordinary way)."""

from datetime import timedelta

from app.dates import local_today
from app.extensions import db

from . import factories
from .apiutil import Api, error_of

TODAY = local_today()


def advertised(trust_code: str, **kwargs):
    period = factories.make_period(trust_code, **kwargs)
    factories.force_status(period, "advertised")
    db.session.commit()
    return period


def test_vacancies_are_the_advertised_periods(ctx, client):
    bergen = advertised("helse-bergen", start=TODAY + timedelta(days=60))
    unn = advertised("unn", start=TODAY + timedelta(days=30))
    still_open = factories.make_period("helse-bergen")
    started = advertised("helse-bergen", start=TODAY)
    response = client.get("/api/v1/vacancies", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    body = response.get_json()
    assert [v["id"] for v in body["items"]] == [unn.id, bergen.id] and body["total"] == 2
    item = body["items"][1]
    department = bergen.department
    assert item["status"] == "advertised"
    assert item["start_date"] == bergen.start_date.isoformat()
    assert item["end_date"] == bergen.end_date.isoformat()
    assert item["trust"] == {
        "id": department.trust.id,
        "code": "helse-bergen",
        "name": department.trust.name,
        "region_id": department.trust.region_id,
    }
    assert item["department"]["id"] == department.id == item["department_id"]
    assert item["department"]["name"] == department.name
    assert item["specialty"]["code"] == department.specialty.code
    assert item["specialty"]["name"] == department.specialty.name_en
    assert item["url"].endswith(f"/vacancies/{bergen.id}")
    assert still_open.id not in {v["id"] for v in body["items"]}
    assert started.id not in {v["id"] for v in body["items"]}


def test_vacancy_filters(ctx, client):
    bergen = advertised("helse-bergen")
    unn = advertised("unn")

    def ids(query):
        response = client.get(f"/api/v1/vacancies?{query}")
        assert response.status_code == 200
        return {v["id"] for v in response.get_json()["items"]}

    assert ids("region=helse-vest") == {bergen.id}
    assert ids(f"trust={factories.trust('unn').id}") == {unn.id}
    assert ids("trust=unn") == {unn.id}
    assert bergen.id in ids(f"specialty={bergen.department.specialty.code}")
    assert ids("region=nowhere") == set()
    response = client.get("/api/v1/vacancies?limit=1000")
    assert response.status_code == 422 and "limit" in error_of(response)["fields"]


def test_one_vacancy(ctx, client):
    period = advertised("helse-bergen")
    open_period = factories.make_period("helse-bergen")
    response = client.get(f"/api/v1/vacancies/{period.id}")
    assert response.status_code == 200 and response.get_json()["id"] == period.id
    for missing in (open_period.id, 99999999, 2**40):
        response = client.get(f"/api/v1/vacancies/{missing}")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_vacancies_need_no_token_but_accept_one(ctx, client):
    period = advertised("helse-bergen")
    gp = Api.login(client, factories.make_gp().user.email)
    assert gp.get("/vacancies").get_json()["items"][0]["id"] == period.id
    assert gp.get(f"/vacancies/{period.id}").status_code == 200


def test_openapi_documents_the_vacancies(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    listing = spec["paths"]["/api/v1/vacancies"]["get"]
    assert listing["security"] == []
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/VacancyList"
    )
    assert spec["paths"]["/api/v1/vacancies/{period_id}"]["get"]["security"] == []
    vacancy = spec["components"]["schemas"]["Vacancy"]
    assert {"id", "trust", "department", "specialty", "start_date", "end_date"} <= set(
        vacancy["required"]
    )
