"""Every protected page against every kind of user: who gets in, who is refused, and
that objects outside one's scope answer 404."""

import pytest

from . import factories
from .conftest import Browser

ACTORS = (
    "anonymous",
    "gp",
    "other_gp",
    "trust_bergen",
    "trust_stavanger",
    "coordinator_vest",
    "coordinator_sor_ost",
    "coordinator_national",
    "admin",
    "municipality_bergen",
    "municipality_stavanger",
)


@pytest.fixture
def world(ctx):
    gp = factories.make_gp(email="me@example.no", municipality_number="4601")
    other_gp = factories.make_gp(email="other@example.no", municipality_number="1103")
    users = {
        "gp": gp.user,
        "other_gp": other_gp.user,
        "trust_bergen": factories.make_user("trust", trust_code="helse-bergen"),
        "trust_stavanger": factories.make_user("trust", trust_code="helse-stavanger"),
        "coordinator_vest": factories.make_user("coordinator", region_code="helse-vest"),
        "coordinator_sor_ost": factories.make_user("coordinator", region_code="helse-sor-ost"),
        "coordinator_national": factories.make_user("coordinator"),
        "admin": factories.make_user("admin"),
        # the GP's employer: Bergen speaks for "gp" (4601), Stavanger for "other_gp" (1103)
        "municipality_bergen": factories.make_user("municipality", municipality_numbers=["4601"]),
        "municipality_stavanger": factories.make_user(
            "municipality", municipality_numbers=["1103"]
        ),
    }
    return {
        "users": users,
        "gp": gp,
        "bergen_department": factories.department("helse-bergen"),
    }


def page(world, name):
    return {
        "dashboard": "/dashboard",
        "account": "/account",
        "profile": "/profile",
        "gp_list": "/gps",
        "my_gp_page": f"/gps/{world['gp'].id}",
        "department": f"/departments/{world['bergen_department'].id}",
        "users": "/admin/users",
        "availability": "/availability",
        "periods": "/periods",
        "coordination": "/coordination/",
        "user_municipalities": (
            f"/admin/users/{world['users']['municipality_bergen'].id}/municipalities"
        ),
    }[name]


# Expected status per page and actor; 302 means "sent to the login page".
EXPECTED = {
    "dashboard": dict.fromkeys(ACTORS[1:], 200),
    "account": dict.fromkeys(ACTORS[1:], 200),
    "profile": {
        "gp": 200,
        "other_gp": 200,
        "trust_bergen": 403,
        "trust_stavanger": 403,
        "coordinator_vest": 403,
        "coordinator_sor_ost": 403,
        "coordinator_national": 403,
        "admin": 403,
        "municipality_bergen": 403,
        "municipality_stavanger": 403,
    },
    "gp_list": {
        "gp": 403,
        "other_gp": 403,
        "trust_bergen": 403,
        "trust_stavanger": 403,
        "coordinator_vest": 200,
        "coordinator_sor_ost": 200,
        "coordinator_national": 200,
        "admin": 200,
        "municipality_bergen": 200,
        "municipality_stavanger": 200,
    },
    "my_gp_page": {
        "gp": 200,
        "other_gp": 404,
        "trust_bergen": 404,
        "trust_stavanger": 404,
        "coordinator_vest": 200,
        "coordinator_sor_ost": 404,
        "coordinator_national": 200,
        "admin": 200,
        "municipality_bergen": 200,
        "municipality_stavanger": 404,
    },
    "department": {
        "gp": 403,
        "other_gp": 403,
        "trust_bergen": 200,
        "trust_stavanger": 404,
        "coordinator_vest": 200,
        "coordinator_sor_ost": 404,
        "coordinator_national": 200,
        "admin": 200,
        "municipality_bergen": 403,
        "municipality_stavanger": 403,
    },
    "users": {
        "gp": 403,
        "other_gp": 403,
        "trust_bergen": 403,
        "trust_stavanger": 403,
        "coordinator_vest": 403,
        "coordinator_sor_ost": 403,
        "coordinator_national": 403,
        "admin": 200,
        "municipality_bergen": 403,
        "municipality_stavanger": 403,
    },
}
GP_ONLY = {"gp": 200, "other_gp": 200}
TRUSTS_AND_COORDINATORS = dict.fromkeys(
    ("trust_bergen", "trust_stavanger", "coordinator_vest", "coordinator_sor_ost"), 200
) | {"coordinator_national": 200, "admin": 200}
COORDINATORS = {
    "coordinator_vest": 200,
    "coordinator_sor_ost": 200,
    "coordinator_national": 200,
    "admin": 200,
}
EXPECTED |= {
    "availability": dict.fromkeys(ACTORS[1:], 403) | GP_ONLY,
    "periods": dict.fromkeys(ACTORS[1:], 403) | TRUSTS_AND_COORDINATORS,
    "coordination": dict.fromkeys(ACTORS[1:], 403) | COORDINATORS,
    "user_municipalities": dict.fromkeys(ACTORS[1:], 403) | {"admin": 200},
}
CASES = [
    (name, actor, expected.get(actor, 302))
    for name, expected in EXPECTED.items()
    for actor in ACTORS
]


@pytest.mark.parametrize("name, actor, status", CASES)
def test_page_access(world, client, name, actor, status):
    if actor != "anonymous":
        assert Browser(client).login(world["users"][actor].email).status_code == 302
    response = client.get(page(world, name))
    assert response.status_code == status, (name, actor)
    if status == 302:
        assert response.headers["Location"].startswith("/login?next=")


def test_post_to_a_department_outside_scope_is_404_and_changes_nothing(world, client):
    browser = Browser(client)
    browser.login(world["users"]["trust_stavanger"].email)
    department = world["bergen_department"]
    token_page = "/account"
    response = browser.submit(
        f"/departments/{department.id}",
        {"alis_capacity": "9", "reason": "take over"},
        page=token_page,
    )
    assert response.status_code == 404
    assert department.alis_capacity != 9


def test_unknown_ids_are_404(world, client):
    Browser(client).login(world["users"]["admin"].email)
    assert client.get("/gps/999999").status_code == 404
    assert client.get("/departments/999999").status_code == 404
    assert client.get("/trusts/no-such-trust").status_code == 404


@pytest.mark.parametrize("path", ["/", "/trusts", "/trusts/helse-bergen", "/login", "/register"])
def test_public_pages(client, path):
    assert client.get(path).status_code == 200
