"""How long the pages that show a matching run take, one request at a time through Flask's
test client, and how many queries they ask: a committed run's page (as the national and as
a regional coordinator), the run list (page and API) and a GP's "Why not?".

Point it at a national demo database (README, "The national demo"):

    DATABASE_URL=sqlite:////tmp/national.db APP_ENV=development \\
        .venv/bin/python benchmarks/run_pages_bench.py [--repeat 5]

It changes nothing. The median of ``--repeat`` requests is printed per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import MatchingRun, User  # noqa: E402

PASSWORD = "alis-demo-2026"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        run_id = db.session.scalar(
            sa.select(MatchingRun.id)
            .where(MatchingRun.dry_run.is_(False), MatchingRun.status == "succeeded")
            .order_by(MatchingRun.id.desc())
        )
        gp_email = db.session.scalar(
            sa.select(User.email).where(User.role == "gp").order_by(User.id).offset(500)
        )
    if run_id is None or gp_email is None:
        raise SystemExit("no committed run or no GPs: load the national demo first")
    queries: list[int] = [0]

    def seen(*_args) -> None:
        queries[0] += 1

    def measure(email: str, label: str, url: str, api: bool = False) -> None:
        client = app.test_client()
        headers = {}
        if api:
            token = client.post(
                "/api/v1/auth/tokens", json={"email": email, "password": PASSWORD}
            ).get_json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
        else:
            client.post("/login", data={"email": email, "password": PASSWORD})
        times = []
        for _ in range(args.repeat):
            queries[0] = 0
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append(time.perf_counter() - start)
        size = len(response.data) / 1024
        print(
            f"| {label} | {response.status_code} | {statistics.median(times) * 1000:.0f} ms "
            f"| {queries[0]} | {size:.0f} KB |"
        )

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", seen)
    print(f"run {run_id}, {args.repeat} requests per page, median")
    print("| page | status | time | queries | size |\n|---|---|---|---|---|")
    national = "koordinator.nasjonal@demo.alis.no"
    vest = "koordinator.helse-vest@demo.alis.no"
    measure(national, "run page, national coordinator", f"/coordination/runs/{run_id}")
    measure(vest, "run page, regional coordinator", f"/coordination/runs/{run_id}")
    measure(national, "/coordination/runs", "/coordination/runs")
    measure(national, "GET /api/v1/matching/runs", "/api/v1/matching/runs", api=True)
    measure(gp_email, "/my/why-not", "/my/why-not")
    measure(gp_email, "GET /api/v1/me/explanations", "/api/v1/me/explanations", api=True)


if __name__ == "__main__":
    main()
