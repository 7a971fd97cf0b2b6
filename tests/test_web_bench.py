"""benchmarks/web_bench.py measures every GET route of the app: a new route either has
arguments the benchmark knows how to fill, or is skipped there with a reason. Needs no
database and measures nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from app import create_app

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "web_bench.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load()


@pytest.fixture(scope="module")
def app():
    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_every_get_route_is_measured_or_skipped_with_a_reason(app):
    routes = bench.get_routes(app)
    assert len(routes) > 50
    missing = {
        rule: bench.unresolvable(endpoint, arguments)
        for rule, endpoint, arguments in routes
        if bench.unresolvable(endpoint, arguments)
    }
    assert not missing, "teach benchmarks/web_bench.py these URL arguments, or skip the route"


def test_the_benchmarks_lists_name_routes_that_exist(app):
    endpoints = {endpoint for _, endpoint, _ in bench.get_routes(app)}
    named = set(bench.SKIPPED) | set(bench.ENDPOINT_ARGUMENTS)
    named |= {e for pages in bench.MAIN_PAGES.values() for e in pages}
    assert named <= endpoints


def test_a_resolved_url_reaches_its_route(app):
    values = dict.fromkeys(set(bench.ARGUMENTS.values()) - bench.LITERALS, 7)
    for name in {n for special in bench.ENDPOINT_ARGUMENTS.values() for n in special.values()}:
        values.setdefault(name, 7)
    values.update(region_code="helse-vest", trust_code="helse-bergen")
    adapter = app.url_map.bind("localhost")
    for rule, endpoint, arguments in bench.get_routes(app):
        if endpoint in bench.SKIPPED:
            continue
        path = bench.resolve(rule, endpoint, arguments, values)
        assert path is not None and "<" not in path, rule
        assert adapter.match(path, method="GET")[0] == endpoint, path


def test_a_role_without_the_object_gets_no_url():
    assert bench.resolve("/periods/<int:period_id>", "periods.detail", ("period_id",), {}) is None
