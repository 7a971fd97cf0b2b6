"""Benchmark: from publishing a period to its alert arriving by email.

For each size (1 and 500 matching subscribers by default) it makes a fresh database with the
reference data and the subscribers, starts a local SMTP server (aiosmtpd) and the real
scheduler in a separate process (``flask --app app scheduler``, whose delivery job runs every
minute), publishes one period through the same service the pages use, and times the emails'
arrival at the SMTP server.

The delivery job starts once a minute and then watches the outbox for most of the minute
(OUTBOX_WATCH_SECONDS, 50 s, a look every 2 s), so the wait depends on when in its minute the
period is published. A canary email marks the start of a run. ``--phase worst`` (default)
publishes just after the run stopped watching: the next run is about 10 s away, the worst
case. ``--phase random`` publishes at a random moment of the minute, the typical case.

    .venv/bin/python benchmarks/notifications_bench.py
    .venv/bin/python benchmarks/notifications_bench.py --sizes 1,500 --phase random
    .venv/bin/python benchmarks/notifications_bench.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from app.dates import local_today

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

WAIT_LIMIT_S = 300
WATCH_S = 50  # the delivery job's default OUTBOX_WATCH_SECONDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """A local SMTP server that notes when each message arrived, by recipient."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        at = time.perf_counter()
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.arrivals.setdefault(str(message["To"]), at)
        return "250 OK"

    def count(self, addresses: set[str]) -> int:
        with self.lock:
            return len(addresses & self.arrivals.keys())

    def wait_for(self, addresses: set[str], limit: float = WAIT_LIMIT_S) -> None:
        deadline = time.perf_counter() + limit
        while self.count(addresses) < len(addresses):
            if time.perf_counter() > deadline:
                raise SystemExit(
                    f"timeout: {self.count(addresses)} of {len(addresses)} emails arrived"
                )
            time.sleep(0.05)


class Database:
    """A fresh SQLite file, or a throw-away database on the PostgreSQL server given."""

    def __init__(self, server: str | None):
        from app.config import normalise_database_url

        self.server = normalise_database_url(server) if server else None
        self.name = f"alis_bench_{uuid.uuid4().hex[:8]}"
        if self.server:
            admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            admin.dispose()
            self.url = (
                sa.make_url(self.server)
                .set(database=self.name)
                .render_as_string(hide_password=False)
            )
        else:
            self.dir = tempfile.mkdtemp(prefix="alis-bench-")
            self.url = f"sqlite:///{self.dir}/{self.name}.db"

    def drop(self) -> None:
        if self.server:
            admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.dispose()


def app_for(url: str, mailbox: Mailbox):
    from app import create_app

    return create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": mailbox.port,
            "SMTP_STARTTLS": False,
        }
    )


def prepare(app, subscribers: int) -> tuple[int, set[str]]:
    """Migrate, load the reference data, add ``subscribers`` GPs who want the department's
    specialty and a canary user; returns (department id, subscriber addresses)."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.models import Department, Subscription, Trust, User
    from app.models.types import utcnow
    from app.reference.loader import load_reference_data

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_reference_data()
        db.session.commit()
        department = db.session.scalars(
            sa.select(Department).join(Trust).where(Trust.code == "helse-bergen")
        ).first()
        now = utcnow()
        addresses = {f"bench{i}@example.no" for i in range(subscribers)}
        rows = [
            {
                "email": address,
                "password_hash": "!",  # no login: only alerts are measured
                "role": "gp",
                "active": True,
                "locale": ("nb", "nn", "en")[i % 3],
                "session_nonce": uuid.uuid4().hex[:16],
                "created_at": now,
            }
            for i, address in enumerate(sorted(addresses) + ["canary@example.no"])
        ]
        db.session.execute(sa.insert(User.__table__), rows)
        ids = db.session.scalars(sa.select(User.id).where(User.email.in_(addresses))).all()
        db.session.execute(
            sa.insert(Subscription.__table__),
            [
                {
                    "user_id": user_id,
                    "topic": "periods",
                    "specialty_ids": [department.specialty_id],
                    "trust_ids": [],
                    "horizon_months": 12,
                    "channel": "email",
                    "frequency": "immediate",
                    "active": True,
                    "created_at": now,
                }
                for user_id in ids
            ],
        )
        db.session.commit()
        return department.id, addresses


def queue_canary(app) -> None:
    from app.announce import notify
    from app.extensions import db
    from app.models import User

    with app.app_context():
        canary = db.session.scalar(sa.select(User).where(User.email == "canary@example.no"))
        notify(canary, "bench", subject="Canary", body="Marks a delivery run")
        db.session.commit()


def canary_marked_sent(app) -> None:
    """Wait until the scheduler has committed the canary as sent: on SQLite a writer that read
    before another process's commit cannot write (SQLITE_BUSY), so publish after it."""
    from app.extensions import db
    from app.models import Notification

    with app.app_context():
        while (
            db.session.scalar(
                sa.select(Notification.email_status).where(Notification.kind == "bench")
            )
            != "sent"
        ):
            db.session.rollback()
            time.sleep(0.02)
        db.session.remove()


def publish(app, department_id: int) -> float:
    """Publish one period through the service (alerts queued in its transaction); returns the
    seconds the publication took."""
    from app.extensions import db
    from app.lifecycle import publish_period
    from app.periods.services import PeriodInput

    start = local_today() + timedelta(days=60)
    with app.app_context():
        began = time.perf_counter()
        publish_period(
            PeriodInput(
                department_id=department_id,
                start_date=start,
                end_date=start + timedelta(days=183),
                source="parental_leave",
                description="Benchmark",
            ),
            actor=None,
        )
        db.session.commit()
        return time.perf_counter() - began


def start_scheduler(url: str, mailbox: Mailbox) -> subprocess.Popen:
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "SMTP_STARTTLS": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run(size: int, phase: str, server: str | None) -> dict[str, float]:
    database = Database(server)
    mailbox = Mailbox()
    mailbox.controller.start()
    scheduler = None
    try:
        app = app_for(database.url, mailbox)
        department_id, addresses = prepare(app, size)
        queue_canary(app)
        scheduler = start_scheduler(database.url, mailbox)
        mailbox.wait_for({"canary@example.no"}, limit=120)  # a delivery run just ended
        canary_marked_sent(app)
        arrived = mailbox.arrivals["canary@example.no"]
        offset = WATCH_S + 0.5 if phase == "worst" else random.uniform(0, 60)
        time.sleep(max(0.0, arrived + offset - time.perf_counter()))
        began = time.perf_counter()
        publish_s = publish(app, department_id)
        mailbox.wait_for(addresses)
        arrivals = sorted(mailbox.arrivals[a] for a in addresses)
        return {
            "subscribers": size,
            "publish_s": publish_s,
            "first_s": arrivals[0] - began,
            "last_s": arrivals[-1] - began,
            "spread_s": arrivals[-1] - arrivals[0],
        }
    finally:
        if scheduler is not None:
            os.killpg(scheduler.pid, signal.SIGTERM)
            scheduler.wait(timeout=30)
        mailbox.controller.stop()
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,500", help="Subscriber counts (comma separated)")
    parser.add_argument("--phase", choices=("worst", "random"), default="worst")
    parser.add_argument("--database-url", help="A PostgreSQL server (default: SQLite files)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"Delivery job every 60 s; phase: {args.phase}; database: "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}",
        flush=True,
    )
    print(
        f"{'subscribers':>11} {'publish':>9} {'first email':>12} {'last email':>11} "
        f"{'delivery spread':>16}",
        flush=True,
    )
    for size in sizes:
        r = run(size, args.phase, args.database_url)
        print(
            f"{r['subscribers']:>11} {r['publish_s']:>8.2f}s {r['first_s']:>11.2f}s "
            f"{r['last_s']:>10.2f}s {r['spread_s']:>15.2f}s",
            flush=True,
        )
    print(
        "Times from the start of publishing (the period's transaction, alerts included) to "
        "the email's arrival at the local SMTP server."
    )
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])
    print(f"Reproduce: {command}")


if __name__ == "__main__":
    main()
