"""Benchmark: every page and API list of every role at national scale, beside a hello-world.

It builds the national demo data set (``flask demo load --national --scale N``) in a database
of its own, or reuses it when it is already loaded there: the SQLite file
instance/bench_scale_N.db, or the PostgreSQL database bench_scale_N on the server at
127.0.0.1:5432 (``--server`` for another). It serves the app as production does, with
gunicorn and 2 sync workers (APP_ENV=production: Secure cookies, so the benchmark logs in
over plain HTTP and sends the session cookie by hand), logs in every role (anonymous, a GP, a
trust's staff, a regional and the national coordinator, an administrator; the API with a
bearer token), and for every GET route of the app (read from its url_map, so a new page is
measured without being listed here; ids come from the data set: a period of the trust, the
latest run, a GP of the region...) that answers 200 to a role, measures latency (p50, p95,
p99) and throughput with 8 concurrent clients (wrk, closed loop, keep-alive as gunicorn's
sync workers allow) for a few seconds. A Flask hello-world served the same way in the same
run is the baseline; each row's req/s is also given as a percentage of it, and the rows under
issue 18's targets are marked: every page and API list at least 1 % of hello-world, the main
pages of each role at least 2 %, p95 under 150 ms; from 1x to 3x the data, no page's p50
more than 1.5x (``--compare 1,3``).

    .venv/bin/python benchmarks/web_bench.py                        # SQLite, scale 1
    .venv/bin/python benchmarks/web_bench.py --database postgres
    .venv/bin/python benchmarks/web_bench.py --compare 1,3 --pages 'coordination|/gps'
    .venv/bin/python benchmarks/web_bench.py --seconds 5 --clients 8 --json results.json
    .venv/bin/python benchmarks/web_bench.py --scale 3 --against results.json   # p50 ratio to it

Loading scale 1 takes a minute or two, scale 3 several minutes; a loaded data set is reused
(``--reload`` loads it again). Needs wrk (Debian: apt install wrk).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
WORKERS = 2

# Issue 18's targets.
EVERY_PAGE_SHARE = 1.0  # % of hello-world's req/s, every page and API list
MAIN_PAGE_SHARE = 2.0  # % of hello-world's req/s, the main pages of each role
P95_LIMIT_MS = 150.0
P50_GROWTH = 1.5  # p50 at 3x the data over p50 at 1x

ROLES = ("anonymous", "gp", "municipality", "trust", "coordinator", "national", "admin")
ROLE_NAMES = {
    "anonymous": "anonymous",
    "gp": "GP",
    "municipality": "municipality",
    "trust": "trust",
    "coordinator": "coordinator (region)",
    "national": "coordinator (national)",
    "admin": "admin",
}

# The main pages of each role (issue 18): at least 2 % of hello-world.
MAIN_PAGES = {
    "gp": {"main.dashboard", "gp.availability", "gp.matches", "gp.explanations"},
    "trust": {"main.dashboard", "periods.index", "periods.detail"},
    "coordinator": {
        "coordination.overview",
        "coordination.waiting",
        "coordination.run_detail",
        "main.gp_list",
    },
    "anonymous": {"public.vacancies"},
}
MAIN_PAGES["national"] = MAIN_PAGES["coordinator"]

# GET routes that are not measured, and why. Any other route must have every argument
# resolvable (ARGUMENTS or ENDPOINT_ARGUMENTS), which tests/test_web_bench.py checks.
SKIPPED = {
    "static": "static files (the web server's job in production)",
    "alerts.calendar_feed_ics": "needs a calendar token, shown once when made",
    "alerts.manage": "needs a signed manage-your-email link",
    "auth.verify_email_link": "needs a token sent by email",
    "auth.reset_password_link": "needs a token sent by email",
    "alerts.caught_mail_detail": "development only (CAUGHT_MAIL_DIR)",
    "alerts.caught_mail_html": "development only (CAUGHT_MAIL_DIR)",
    "alerts.caught_mail_list": "development only (CAUGHT_MAIL_DIR)",
}

# URL arguments and the id (from Ids, per role) that fills them.
ARGUMENTS = {
    "period_id": "period",
    "match_id": "match",
    "run_id": "run",
    "gp_id": "gp",
    "availability_id": "availability",
    "notification_id": "notification",
    "subscription_id": "subscription",
    "department_id": "department",
    "policy_id": "policy",
    "user_id": "user",
    "fmt": "csv",
}
# Where one argument name means different things, or a route needs a particular object.
ENDPOINT_ARGUMENTS = {
    "main.region_detail": {"code": "region_code"},
    "api_reference.region_rounds": {"code": "region_code"},
    "statistics.public": {"code": "region_code"},
    "main.trust_detail": {"code": "trust_code"},
    "handoff.webhook": {"code": "trust_code"},
    "handoff.page": {"period_id": "filled_period"},
    "public.vacancy": {"period_id": "advertised_period"},
    "api_vacancies.show": {"period_id": "advertised_period"},
    "periods.edit": {"period_id": "open_period"},
    "periods.advert": {"period_id": "own_advertised_period"},
    "coordination.match_action": {"action": "confirm", "match_id": "proposed_match"},
    "gp.match_answer": {"answer": "accept", "match_id": "offered_match"},
}
LITERALS = {"csv", "confirm", "accept"}


@dataclass
class Ids:
    """The logins and the objects each role's URLs are resolved with."""

    emails: dict[str, str] = field(default_factory=dict)  # role -> login
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> name -> id
    about: dict[str, str] = field(default_factory=dict)  # what was chosen, for the report


@dataclass
class Result:
    role: str
    rule: str
    endpoint: str
    url: str
    status: int
    sequential_ms: float
    size: int
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def get_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, endpoint, arguments) of every GET route of ``app``, in path order."""
    return sorted(
        (rule.rule, rule.endpoint, tuple(sorted(rule.arguments)))
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
    )


def unresolvable(endpoint: str, arguments: tuple[str, ...]) -> list[str]:
    """The arguments of a route this benchmark has no way to fill (empty: it can)."""
    if endpoint in SKIPPED:
        return []
    special = ENDPOINT_ARGUMENTS.get(endpoint, {})
    return [a for a in arguments if a not in special and a not in ARGUMENTS]


def resolve(rule: str, endpoint: str, arguments: tuple[str, ...], values: dict[str, Any]):
    """The URL of ``rule`` with the role's ids, or None when the role has no such object."""
    special = ENDPOINT_ARGUMENTS.get(endpoint, {})
    filled = {}
    for argument in arguments:
        name = special.get(argument) or ARGUMENTS[argument]
        value = name if name in LITERALS else values.get(name)
        if value is None:
            return None
        filled[argument] = value
    return re.sub(
        r"<(?:[^:<>]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(filled[m.group(1)]), rule
    )


# The data set ------------------------------------------------------------------------------


def database_url(database: str, scale: float, server: str) -> str:
    name = f"bench_scale_{scale:g}".replace(".", "_")
    if database == "sqlite":
        return f"sqlite:///{ROOT / 'instance' / name}.db"
    return f"{server.rstrip('/')}/{name}"


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url}
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def _recreate(url: str) -> None:
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        Path(parsed.database or "").parent.mkdir(exist_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def _is_loaded(url: str) -> bool:
    import sqlalchemy as sa

    from app.demo import demo_email
    from app.demo_national import MARKER

    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT 1 FROM users WHERE email = :email"),
                {"email": demo_email(MARKER)},
            ).first()
        engine.dispose()
        return found is not None
    except sa.exc.SQLAlchemyError:  # no such database or no tables yet
        return False


def ensure_data_set(url: str, scale: float, reload: bool) -> None:
    """Load the national demo at ``scale`` into ``url`` unless it is there already."""
    if not reload and _is_loaded(url):
        print(f"Reusing the national data set at scale {scale:g} in {url}", flush=True)
        _flask(url, "db", "upgrade")  # a set loaded before the latest migrations
        return
    print(f"Loading the national data set at scale {scale:g} into {url} ...", flush=True)
    _recreate(url)
    _flask(url, "db", "upgrade")
    _flask(url, "reference", "load")
    _flask(url, "demo", "load", "--national", "--scale", f"{scale:g}")


def _municipality_values(s, user, common, first) -> dict[str, Any]:
    """A municipality user's objects: a GP of theirs with a window, that window, its latest
    match and the match's period. Empty without such a user (a data set loaded before the
    national demo had them)."""
    import sqlalchemy as sa

    from app.models import GP, Availability, Match, UserMunicipality

    if user is None:
        return {}
    theirs = sa.select(UserMunicipality.municipality_id).where(UserMunicipality.user_id == user.id)
    gp_id = first(
        sa.select(Availability.gp_id)
        .join(GP, GP.id == Availability.gp_id)
        .where(GP.municipality_id.in_(theirs))
        .order_by(Availability.gp_id)
    )
    match = first(sa.select(Match.id).where(Match.gp_id == gp_id).order_by(Match.id.desc()))
    return {
        **common(user.email),
        "gp": gp_id,
        "availability": first(
            sa.select(Availability.id)
            .where(Availability.gp_id == gp_id)
            .order_by(Availability.id.desc())
        ),
        "match": match,
        "period": first(sa.select(Match.period_id).where(Match.id == match)),
    }


def choose_ids(url: str) -> Ids:
    """Pick each role's login and objects from the data set: the trust with the most
    periods, its region's coordinator, a GP of that region with an offer (or any match)."""
    import sqlalchemy as sa

    from app import create_app
    from app.dates import local_today
    from app.demo import demo_email
    from app.demo_national import MARKER
    from app.extensions import db
    from app.models import (
        GP,
        Availability,
        Department,
        Match,
        MatchingRun,
        Municipality,
        Notification,
        Period,
        Policy,
        Region,
        Subscription,
        Trust,
        User,
        UserMunicipality,
    )

    app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url})
    ids = Ids()
    with app.app_context():
        s = db.session

        def first(query):
            return s.scalar(query.limit(1))

        trust = s.get_one(
            Trust,
            first(
                sa.select(Department.trust_id)
                .join(Period, Period.department_id == Department.id)
                .group_by(Department.trust_id)
                .order_by(sa.func.count(Period.id).desc(), Department.trust_id)
            ),
        )
        region = s.get_one(Region, trust.region_id)
        in_region = (
            sa.select(Period.id)
            .join(Department, Period.department_id == Department.id)
            .join(Trust, Department.trust_id == Trust.id)
            .where(Trust.region_id == region.id)
        )
        of_trust = (
            sa.select(Period.id).join(Period.department).where(Department.trust_id == trust.id)
        )
        gp_of_region = (
            sa.select(GP.id)
            .join(Municipality, GP.municipality_id == Municipality.id)
            .join(Trust, Municipality.trust_id == Trust.id)
            .where(Trust.region_id == region.id)
        )
        gp_id = (
            first(
                sa.select(Match.gp_id)
                .where(Match.status == "offered", Match.gp_id.in_(gp_of_region))
                .order_by(Match.gp_id)
            )
            or first(sa.select(Match.gp_id).where(Match.gp_id.in_(gp_of_region)).order_by(Match.id))
            or first(gp_of_region.order_by(GP.id))
        )
        gp = s.get_one(GP, gp_id)
        run_id = first(
            sa.select(MatchingRun.id)
            .where(
                MatchingRun.status == "succeeded",
                MatchingRun.dry_run.is_(False),
                sa.or_(MatchingRun.region_id.is_(None), MatchingRun.region_id == region.id),
            )
            .order_by(MatchingRun.id.desc())
        )
        advertised = first(  # a public vacancy: advertised and not started
            sa.select(Period.id)
            .where(Period.status == "advertised", Period.start_date > local_today())
            .order_by(Period.start_date, Period.id)
        )

        def common(user_email: str) -> dict[str, Any]:
            user_id = s.scalar(sa.select(User.id).where(User.email == user_email))
            return {
                "notification": first(
                    sa.select(Notification.id)
                    .where(Notification.user_id == user_id)
                    .order_by(Notification.id.desc())
                ),
                "subscription": first(
                    sa.select(Subscription.id).where(Subscription.user_id == user_id)
                ),
                "advertised_period": advertised,
                "region_code": region.code,
                "trust_code": trust.code,
            }

        def staff(user_email: str, periods, gps) -> dict[str, Any]:
            matches = sa.select(Match.id).where(Match.period_id.in_(periods))
            return {
                **common(user_email),
                "period": first(periods.where(Period.status == "matched").order_by(Period.id))
                or first(periods.order_by(Period.id)),
                "open_period": first(periods.where(Period.status == "open").order_by(Period.id)),
                "filled_period": first(
                    periods.where(Period.status == "filled").order_by(Period.id.desc())
                ),
                "own_advertised_period": first(
                    periods.where(Period.status == "advertised").order_by(Period.id.desc())
                ),
                "match": first(matches.order_by(Match.id.desc())),
                "proposed_match": first(
                    matches.where(Match.status == "proposed").order_by(Match.id.desc())
                ),
                "gp": first(gps),
                "run": run_id,
                "department": first(
                    sa.select(Department.id)
                    .where(Department.trust_id == trust.id)
                    .order_by(Department.id)
                ),
                "policy": first(
                    sa.select(Policy.id)
                    .where(sa.or_(Policy.region_id == region.id, Policy.trust_id == trust.id))
                    .order_by(Policy.id)
                ),
            }

        gp_email = s.scalar(sa.select(User.email).where(User.id == gp.user_id))
        gp_matches = sa.select(Match.id).where(Match.gp_id == gp.id)
        # The municipality user of the region (the national demo has one per region), with
        # the first of their GPs who has a window.
        municipality_user = s.scalar(
            sa.select(User)
            .join(UserMunicipality, UserMunicipality.user_id == User.id)
            .join(Municipality, Municipality.id == UserMunicipality.municipality_id)
            .join(Trust, Municipality.trust_id == Trust.id)
            .where(User.role == "municipality", Trust.region_id == region.id)
            .order_by(User.id)
            .limit(1)
        )
        ids.emails = {
            "gp": gp_email,
            "trust": demo_email(f"hr.{trust.code}"),
            "coordinator": demo_email(f"koordinator.{region.code}"),
            "national": demo_email(MARKER),
            "admin": demo_email("admin"),
        }
        ids.values = {
            "anonymous": {**common(""), "period": advertised},
            "gp": {
                **common(gp_email),
                "period": first(
                    sa.select(Match.period_id).where(Match.gp_id == gp.id).order_by(Match.id)
                )
                or advertised,
                "match": first(gp_matches.order_by(Match.id.desc())),
                "offered_match": first(gp_matches.where(Match.status == "offered")),
                "availability": first(
                    sa.select(Availability.id)
                    .where(Availability.gp_id == gp.id)
                    .order_by(Availability.id.desc())
                ),
                "gp": gp.id,
            },
            "municipality": _municipality_values(s, municipality_user, common, first),
            # A trust's staff see the GPs who have a match in the trust's periods.
            "trust": staff(
                ids.emails["trust"],
                of_trust,
                sa.select(Match.gp_id)
                .where(Match.period_id.in_(of_trust))
                .order_by(Match.id.desc()),
            ),
            "coordinator": staff(
                ids.emails["coordinator"], in_region, gp_of_region.order_by(GP.id)
            ),
            "national": staff(ids.emails["national"], in_region, gp_of_region.order_by(GP.id)),
            "admin": {
                **staff(ids.emails["admin"], in_region, gp_of_region.order_by(GP.id)),
                # an account's page: the first municipality user if the data has one
                "user": first(
                    sa.select(User.id).order_by(
                        sa.case((User.role == "municipality", 0), else_=1), User.id
                    )
                ),
            },
        }
        if municipality_user is not None:
            ids.emails["municipality"] = municipality_user.email
        n_periods = s.scalar(sa.select(sa.func.count()).select_from(of_trust.subquery()))
        ids.about = {
            "trust": f"{trust.code} ({n_periods} periods)",
            "region": region.code,
            "gp": f"{gp_email} (GP {gp.id})",
            "run": str(run_id),
        }
        s.remove()
        db.engine.dispose()
    return ids


# Serving and measuring ---------------------------------------------------------------------


def hello():
    """The baseline: a Flask hello-world (gunicorn "web_bench:hello()")."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def index() -> str:
        return "Hello, World!"

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with WORKERS sync workers on a free port, stopped with the ``with`` block."""

    def __init__(self, app_spec: str, env: dict[str, str], chdir: Path):
        self.port = free_port()
        handle, name = tempfile.mkstemp(prefix="web-bench-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)  # gunicorn's output: look here when it does not start
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.command = [
            str(gunicorn),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "300",
            "--chdir",
            str(chdir),
            app_spec,
        ]
        self.env = {**os.environ, **env}

    def __enter__(self) -> Server:
        self.log = self.log_path.open("wb")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start; its log: {self.log_path}") from None
                time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)
        self.log.close()

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            cookies = response.headers.get_all("Set-Cookie") or []
            return response.status, dict(response.headers), data, cookies
        finally:
            connection.close()


def _cookie(set_cookies: list[str], name: str) -> str | None:
    for header in set_cookies:
        first = header.split(";", 1)[0]
        if first.startswith(name + "="):
            return first
    return None


def log_in(server: Server, email: str) -> tuple[str, str]:
    """(the session cookie, an API bearer token) of ``email``. Production cookies are Secure,
    which a client would not send over plain HTTP: they are sent by hand."""
    from app.demo import DEMO_PASSWORD

    status, _, page, cookies = server.request("GET", "/login")
    session = _cookie(cookies, "session")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or session is None or token is None:
        raise SystemExit(f"no login form ({status})")
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1).decode(), "email": email, "password": DEMO_PASSWORD}
    ).encode()
    status, _, _, cookies = server.request(
        "POST",
        "/login",
        {"Cookie": session, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    session = _cookie(cookies, "session")
    if status != 302 or session is None:
        raise SystemExit(f"{email} could not log in ({status})")
    status, _, body, _ = server.request(
        "POST",
        "/api/v1/auth/tokens",
        {"Content-Type": "application/json"},
        json.dumps({"email": email, "password": DEMO_PASSWORD}).encode(),
    )
    if status != 201:
        raise SystemExit(f"{email} got no API token ({status}: {body[:200]!r})")
    return session, json.loads(body)["token"]


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def wrk(port: int, path: str, headers: dict[str, str], clients: int, seconds: float) -> dict:
    """``clients`` connections for ``seconds`` (one wrk thread: the machine's cores are for
    the server); latencies in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(clients),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "120s",
        "--script",
        script.name,
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    n, duration_us, p50, p95, p99, failed, status = (int(x) for x in line.split()[1:])
    return {
        "requests": n,
        "seconds": duration_us / 1e6,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "errors": failed + status,
    }


def measure_hello(server: Server, clients: int, seconds: float) -> Result:
    result = Result("-", "/", "hello", "/", 200, 0.0, 13)
    for key, value in wrk(server.port, "/", {}, clients, seconds).items():
        setattr(result, key, value)
    return result


def baseline(samples: list[Result]) -> Result:
    """The hello-world sample of median throughput (samples are taken between the roles, so
    that a machine that gets busier or quieter during the run moves both alike)."""
    return sorted(samples, key=lambda r: r.rps)[len(samples) // 2]


def measure_app(url: str, ids: Ids, args) -> tuple[list[Result], list[Result], list[str]]:
    """Every GET route for every role that answers it with 200; hello-world before each role
    and at the end; and the notes on the rest."""
    from app import create_app

    routes = get_routes(create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url}))
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": url,
        "MAIL_BACKEND": "memory",  # nothing a page does may send email; none leaves the machine
        "SCHEDULER_ENABLED": "0",
    }
    pattern = re.compile(args.pages) if args.pages else None
    results: list[Result] = []
    notes: list[str] = []
    public: dict[str, bytes] = {}  # what anonymous got, by path
    hello_samples: list[Result] = []
    with (
        Server("web_bench:hello()", {}, ROOT / "benchmarks") as hello_server,
        Server("app:create_app()", env, ROOT) as server,
    ):
        hello_server.request("GET", "/")
        logins = {role: log_in(server, email) for role, email in ids.emails.items()}
        for role in args.roles.split(","):
            if role != "anonymous" and role not in logins:
                notes.append(f"{ROLE_NAMES[role]}: no such login in the data set (load it again)")
                continue
            hello_samples.append(measure_hello(hello_server, args.clients, args.seconds))
            print(f"  hello-world: {hello_samples[-1].rps:.0f} req/s", flush=True)
            session, token = logins.get(role, (None, None))
            for rule, endpoint, arguments in routes:
                if endpoint in SKIPPED:
                    continue
                path = resolve(rule, endpoint, arguments, ids.values[role])
                if pattern and not (pattern.search(rule) or (path and pattern.search(path))):
                    continue
                if path is None:
                    continue
                headers = {}
                if rule.startswith("/api/") and token:
                    headers["Authorization"] = f"Bearer {token}"
                elif session:
                    headers["Cookie"] = session
                times = []
                for _ in range(2):  # one per worker, roughly: templates compiled, caches warm
                    began = time.perf_counter()
                    status, _, body, _ = server.request("GET", path, headers)
                    times.append(time.perf_counter() - began)
                if status >= 500:
                    notes.append(f"{ROLE_NAMES[role]}: {path}: ERROR {status}")
                if status != 200:
                    continue
                if role == "anonymous":
                    public[path] = body
                elif public.get(path) == body:  # the same for everyone: measured once
                    continue
                result = Result(role, rule, endpoint, path, status, min(times) * 1000, len(body))
                # A slow page gets longer, so that every client finishes a few requests.
                seconds = max(
                    args.seconds, min(20 * args.seconds, 4 * clients_factor(args) * min(times))
                )
                for key, value in wrk(server.port, path, headers, args.clients, seconds).items():
                    setattr(result, key, value)
                results.append(result)
                print(f"  {progress(result)}", flush=True)
        hello_samples.append(measure_hello(hello_server, args.clients, args.seconds))
    notes += server_errors(server.log_path)
    measured = {r.rule for r in results}
    notes += [
        f"not measured: {rule}: no role has anything to show it with, or it answers none with 200"
        for rule, endpoint, _ in routes
        if endpoint not in SKIPPED
        and rule not in measured
        and (pattern is None or pattern.search(rule))
    ]
    rates = sorted(round(r.rps) for r in hello_samples)
    notes.append(f"hello-world between the roles: {', '.join(map(str, rates))} req/s")
    return baseline(hello_samples), results, notes


def server_errors(log_path: Path) -> list[str]:
    """The answers ≥ 500 in the app's request log (one JSON line per request), by path,
    with the last line of their tracebacks."""
    counts: dict[str, int] = {}
    causes: dict[str, int] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("status", 0) >= 500:
                key = f"{entry['path']} (user {entry.get('user_id')})"
                counts[key] = counts.get(key, 0) + 1
        elif re.match(r"[\w.]+(Error|Exception): ", line):
            causes[line[:160]] = causes.get(line[:160], 0) + 1
    return [f"ERROR {n}× 5xx under load: {key}" for key, n in counts.items()] + [
        f"ERROR cause, {n}×: {cause}" for cause, n in causes.items()
    ]


def clients_factor(args) -> float:
    """How many requests queue for one worker at once."""
    return max(1.0, args.clients / WORKERS)


def progress(r: Result) -> str:
    return (
        f"{ROLE_NAMES[r.role]:<22} {r.url:<48} p50 {r.p50_ms:8.1f} ms  p95 {r.p95_ms:8.1f} ms  "
        f"{r.rps:8.1f} req/s"
    )


# Report ------------------------------------------------------------------------------------


def flags(r: Result, hello_rps: float) -> list[str]:
    share = 100 * r.rps / hello_rps if hello_rps else 0.0
    out = []
    if share < EVERY_PAGE_SHARE:
        out.append(f"< {EVERY_PAGE_SHARE:g} %")
    elif r.endpoint in MAIN_PAGES.get(r.role, ()) and share < MAIN_PAGE_SHARE:
        out.append(f"< {MAIN_PAGE_SHARE:g} % (main)")
    if r.p95_ms >= P95_LIMIT_MS:
        out.append(f"p95 ≥ {P95_LIMIT_MS:g} ms")
    if r.errors:
        out.append(f"{r.errors} errors")
    return out


def table(results: list[Result], hello: Result) -> str:
    lines = [
        "| role | page | seq ms | p50 ms | p95 ms | p99 ms | req/s | % hello | KB | n "
        "| below target |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
        f"| – | hello-world | | {hello.p50_ms:.1f} | {hello.p95_ms:.1f} | {hello.p99_ms:.1f} | "
        f"{hello.rps:.0f} | 100 | | {hello.requests} | |",
    ]
    for r in results:
        main = r.endpoint in MAIN_PAGES.get(r.role, ())
        page = f"**{r.url}**" if main else r.url
        share = 100 * r.rps / hello.rps if hello.rps else 0.0
        lines.append(
            f"| {ROLE_NAMES[r.role]} | {page} | {r.sequential_ms:.0f} | {r.p50_ms:.0f} | "
            f"{r.p95_ms:.0f} | {r.p99_ms:.0f} | {r.rps:.1f} | {share:.2f} | "
            f"{r.size / 1024:.0f} | {r.requests} | {', '.join(flags(r, hello.rps))} |"
        )
    return "\n".join(lines)


def comparison(runs: dict[float, tuple[Result, list[Result]]]) -> str:
    small, large = min(runs), max(runs)
    before = {(r.role, r.rule): r for r in runs[small][1]}
    lines = [
        f"| role | page | p50 ms at {small:g}× | p50 ms at {large:g}× | ratio | "
        f"KB at {small:g}× | KB at {large:g}× | above {P50_GROWTH:g}× |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for r in runs[large][1]:
        b = before.get((r.role, r.rule))
        if b is None:
            continue
        ratio = r.p50_ms / b.p50_ms if b.p50_ms else float("inf")
        lines.append(
            f"| {ROLE_NAMES[r.role]} | {r.rule} | {b.p50_ms:.0f} | {r.p50_ms:.0f} | "
            f"{ratio:.2f} | {b.size / 1024:.0f} | {r.size / 1024:.0f} | "
            f"{'yes' if ratio > P50_GROWTH else ''} |"
        )
    return "\n".join(lines)


def summary(results: list[Result], hello: Result) -> str:
    below = [r for r in results if flags(r, hello.rps)]
    worst = min(results, key=lambda r: r.rps, default=None)
    text = f"{len(results)} rows, {len(below)} below a target"
    if worst is not None:
        text += (
            f"; slowest: {ROLE_NAMES[worst.role]} {worst.url} at "
            f"{100 * worst.rps / hello.rps:.3f} % of hello-world"
        )
    if results:
        text += f"; median p50 {statistics.median(r.p50_ms for r in results):.0f} ms"
    return text


def run_scale(args, scale: float) -> tuple[Result, list[Result], list[str], Ids]:
    url = database_url(args.database, scale, args.server)
    ensure_data_set(url, scale, args.reload)
    ids = choose_ids(url)
    print("Chosen: " + ", ".join(f"{k} {v}" for k, v in ids.about.items()), flush=True)
    hello_result, results, notes = measure_app(url, ids, args)
    return hello_result, results, notes, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--server", default=PG_SERVER, help="PostgreSQL server (--database postgres)"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="national demo scale")
    parser.add_argument("--compare", help="two scales, e.g. 1,3: both tables and the p50 ratio")
    parser.add_argument("--pages", help="only routes or URLs matching this regular expression")
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="per row (a slow page gets more)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument(
        "--roles", default=",".join(ROLES), help=f"comma separated, of {', '.join(ROLES)}"
    )
    parser.add_argument("--reload", action="store_true", help="load the data set again")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--against", help="the --json file of a run at another scale: add the p50 ratio table"
    )
    args = parser.parse_args()
    if unknown := set(args.roles.split(",")) - set(ROLES):
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt install wrk)")
    sys.path.insert(0, str(ROOT))
    scales = [float(s) for s in args.compare.split(",")] if args.compare else [args.scale]
    runs: dict[float, tuple[Result, list[Result]]] = {}
    saved: dict[str, Any] = {}
    for scale in scales:
        hello_result, results, notes, ids = run_scale(args, scale)
        runs[scale] = (hello_result, results)
        saved[f"{scale:g}"] = {
            "hello": asdict(hello_result),
            "results": [asdict(r) for r in results],
            "notes": notes,
            "chosen": ids.about,
        }
        print()
        print(
            f"### {args.database}, scale {scale:g}, {args.clients} clients, gunicorn "
            f"{WORKERS} workers ({time.strftime('%Y-%m-%d')})"
        )
        print()
        print(table(results, hello_result))
        print()
        print(summary(results, hello_result))
        print("Chosen: " + ", ".join(f"{k} {v}" for k, v in ids.about.items()))
        for note in notes:
            print(f"  {note}")
        print(flush=True)
    if args.against:
        for scale, data in json.loads(Path(args.against).read_text()).items():
            if float(scale) not in runs:
                runs[float(scale)] = (
                    Result(**data["hello"]),
                    [Result(**r) for r in data["results"]],
                )
    if len(runs) > 1:
        print(comparison(runs))
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(saved, indent=1))
    print(
        f"Targets: every row ≥ {EVERY_PAGE_SHARE:g} % of hello-world's req/s, main pages (bold) "
        f"≥ {MAIN_PAGE_SHARE:g} %, p95 < {P95_LIMIT_MS:g} ms; p50 at 3× ≤ {P50_GROWTH:g}× p50 "
        "at 1×. seq: one request alone (the faster of two); n: requests measured."
    )
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])
    print(f"Reproduce: {command}")


if __name__ == "__main__":
    main()
