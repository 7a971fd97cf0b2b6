"""Benchmark: the webhook outbox, from acceptances to signed POSTs at a local receiver.

It makes a fresh database with the reference data, gives Helse Bergen a webhook pointing at
an HTTP server on 127.0.0.1 (http.server in a thread, answering 200), makes ``--count``
offers at Helse Bergen and as many at Helse Stavanger (no webhook), and times (1) accepting
them one by one, each in its own transaction as a request would (at Bergen the event is
queued in it), and (2) one ``send_due`` that POSTs every event. The
receiver checks each signature; the benchmark fails if one is wrong or an event arrives
twice.

    .venv/bin/python benchmarks/webhooks_bench.py
    .venv/bin/python benchmarks/webhooks_bench.py --count 500 --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from app import create_app, lifecycle  # noqa: E402
from app.dates import local_today  # noqa: E402
from app.extensions import db  # noqa: E402
from app.handoff import webhooks  # noqa: E402
from app.handoff.outbox import send_due  # noqa: E402
from app.models.types import utcnow  # noqa: E402
from app.reference.loader import load_reference_data  # noqa: E402
from notifications.webhooks import verify  # noqa: E402
from tests.app import factories  # noqa: E402
from tests.app.conftest import TEST_CONFIG, engine_options  # noqa: E402
from tests.app.dbutil import fresh_database  # noqa: E402
from tests.app.webhook_receiver import Receiver, start  # noqa: E402


def run(url: str, count: int) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)})  # fmt: skip
    receiver = Receiver()
    server = start(receiver)
    with app.test_request_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_reference_data()
        db.session.commit()
        staff = factories.make_user("trust", trust_code="helse-bergen")
        _, secret = webhooks.save_url(factories.trust("helse-bergen"), receiver.url, actor=staff)
        db.session.commit()

        def offers(trust_code: str) -> list:
            out = []
            for k in range(count):
                period = factories.make_period(
                    trust_code, start=local_today() + timedelta(days=60 + k)
                )
                out.append(
                    factories.make_proposal(period, factories.make_gp(), status="offered",
                                            offered_at=utcnow(),
                                            accept_by=local_today() + timedelta(days=10))
                )  # fmt: skip
            return out

        def accept_all(matches: list) -> float:
            started = time.perf_counter()
            for match in matches:
                lifecycle.accept(match, actor=match.gp.user)
                db.session.commit()
            return time.perf_counter() - started

        plain = accept_all(offers("helse-stavanger"))  # no webhook: the baseline
        accepted = accept_all(offers("helse-bergen"))
        started = time.perf_counter()
        report = send_due()
        sent = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    ids = [r.headers["X-ALIS-Delivery"] for r in receiver.requests]
    good = all(
        verify(secret, r.headers["X-ALIS-Timestamp"], r.body, r.headers["X-ALIS-Signature"])
        for r in receiver.requests
    )
    assert len(ids) == len(set(ids)) == count and good, (len(ids), len(set(ids)), good)
    backend = url.split(":", 1)[0]
    print(
        f"{backend}: {count} acceptances {accepted:.2f} s ({1000 * accepted / count:.1f} ms "
        f"each, event queued in the same transaction; {1000 * plain / count:.1f} ms each for "
        f"a trust without a webhook); {report}: {sent:.2f} s "
        f"({count / sent:.0f} POSTs/s, every signature valid, no event twice)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    args = parser.parse_args()
    if args.database_url:
        import os

        os.environ["TEST_DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp)) as url:
        run(url, args.count)


if __name__ == "__main__":
    main()
