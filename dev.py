#!/usr/bin/env python3
"""One command to run the portal, one to test it. Needs only Python 3.11+.

    python3 dev.py run     install into .venv, set up SQLite with demo data, start the app
                           with the scheduler and a local mail catcher (PORT, default 5000;
                           MAIL_CATCHER_PORT, default 1025)
    python3 dev.py test    install into .venv (and axe-core with `npm ci`), run the suite on
                           SQLite, then on PostgreSQL when a server answers on 127.0.0.1:5432
                           (or TEST_DATABASE_URL)
    python3 dev.py lint    ruff check, ruff format --check, then mypy: matching/ strict and
                           clean, app/ and notifications/ no worse than mypy-baseline.txt
                           (--update-baseline rewrites that file from the current errors)
    python3 dev.py translations   extract messages, update nb/nn/en catalogues, compile
    python3 dev.py catch-mail PORT FOLDER   the mail catcher alone (dev.py run starts it):
                           an SMTP server on 127.0.0.1:PORT that saves each email in FOLDER

Uses only the standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
# axe-core for the browser tests (tests/browser), pinned in package-lock.json
NODE_MODULES = ROOT / "node_modules"
NODE_STAMP = NODE_MODULES / ".installed"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# mypy's errors in these folders are compared with the baseline instead of having to be zero;
# anywhere else (matching/, checked strictly) every error fails.
MYPY_BASELINE = ROOT / "mypy-baseline.txt"
MYPY_BASELINED = ("app/", "notifications/")
# Translation functions besides gettext/ngettext/_ that mark messages for extraction.
BABEL_KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path, env: dict | None = None, check: bool = True) -> int:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def ensure_venv() -> None:
    """Create .venv and install the project with its dev tools, when pyproject changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit("Python 3.11 or newer is needed (found {}.{})".format(*sys.version_info[:2]))
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    say("installing the project and its dependencies (first time takes a minute)")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def ensure_node_modules() -> None:
    """Install axe-core for the browser tests with `npm ci`, when package-lock.json changed.

    Without npm this only says so: the browser tests then fail, naming what is missing
    (they skip only where there is no Chromium)."""
    wanted = hashlib.sha256((ROOT / "package-lock.json").read_bytes()).hexdigest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text() == wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm is not installed: cannot install axe-core for the browser tests")
        return
    say("installing axe-core for the browser tests (npm ci)")
    run(npm, "ci", "--no-audit", "--no-fund")
    NODE_STAMP.write_text(wanted)


def flask(*args: str, env: dict) -> None:
    run(PYTHON, "-m", "flask", "--app", "app", *args, env=env)


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class MailCatcher:
    """An aiosmtpd handler that accepts every email and saves it in ``folder`` as
    <UTC time to the microsecond>-<random>.eml (app/alerts/caught_mail.py reads them)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def save(self, content: bytes) -> Path:
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(content)
        return partial.replace(self.folder / f"{name}.eml")  # whole or not at all

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.save(envelope.content)
        return "250 Message accepted for delivery"


def start_mail_catcher(port: int, folder: Path):
    """The mail catcher on 127.0.0.1:``port``, in a thread of this process; returns its
    aiosmtpd Controller (``stop()`` ends it). Needs the venv (aiosmtpd is a dev tool)."""
    from aiosmtpd.controller import Controller

    controller = Controller(MailCatcher(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def cmd_catch_mail(argv: list[str]) -> None:
    """Run the mail catcher until interrupted (dev.py run starts it as a child)."""
    if len(argv) != 2 or not argv[0].isdigit():
        sys.exit("usage: python3 dev.py catch-mail PORT FOLDER")
    controller = start_mail_catcher(int(argv[0]), Path(argv[1]))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def wait_for_port(port: int, child: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            sys.exit(f"the mail catcher stopped (exit status {child.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the mail catcher does not answer on port {port}")


def stop(children: list[subprocess.Popen]) -> None:
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    for child in reversed(children):
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def cmd_run(argv: list[str]) -> None:
    """The app with what it needs around it in development: the database with demo data, the
    scheduler (its own process, as in production: nightly matching with its catch-up at
    start, email every minute, reminders) and a mail catcher that keeps every email the
    portal sends (administrators read them at /admin/caught-mail)."""
    ensure_venv()
    port = os.environ.get("PORT", "5000")
    mail_port = os.environ.get("MAIL_CATCHER_PORT", "1025")
    if not (port.isdigit() and mail_port.isdigit()):
        sys.exit("PORT and MAIL_CATCHER_PORT must be port numbers")
    if port_taken(int(mail_port)):
        sys.exit(f"port {mail_port} is in use: choose another with MAIL_CATCHER_PORT=...")
    caught = Path(os.environ.get("CAUGHT_MAIL_DIR") or ROOT / "instance" / "caught-mail")
    env = {
        **os.environ,
        "APP_ENV": os.environ.get("APP_ENV", "development"),
        "BASE_URL": os.environ.get("BASE_URL", f"http://127.0.0.1:{port}"),
        # every email goes to the mail catcher, never out of this machine
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mail_port,
        "SMTP_STARTTLS": "false",
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "CAUGHT_MAIL_DIR": str(caught),
        # the scheduler runs as its own process below, never inside the web server
        "SCHEDULER_ENABLED": "false",
    }
    say("creating or upgrading the database")
    flask("db", "upgrade", env=env)
    say("loading reference data")
    flask("reference", "load", env=env)
    say("loading demo data")
    flask("demo", "load", env=env)
    children: list[subprocess.Popen] = []
    # Stopped by a signal rather than Ctrl+C (a process manager, `timeout`): stop the
    # children too, through the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        say(f"starting the mail catcher on 127.0.0.1:{mail_port} (emails saved in {caught})")
        catcher = [PYTHON, Path(__file__), "catch-mail", mail_port, caught]
        children.append(subprocess.Popen([str(a) for a in catcher], cwd=ROOT, env=env))
        wait_for_port(int(mail_port), children[-1])
        say("starting the scheduler (flask scheduler)")
        scheduler = [PYTHON, "-m", "flask", "--app", "app", "scheduler"]
        children.append(subprocess.Popen([str(a) for a in scheduler], cwd=ROOT, env=env))
        print(
            f"\n  The ALIS portal runs at http://127.0.0.1:{port}/  (Ctrl+C stops it)"
            f"\n  Emails it sends: log in as admin@demo.alis.no, then"
            f" http://127.0.0.1:{port}/admin/caught-mail\n",
            flush=True,
        )
        run(
            PYTHON,
            "-m",
            "flask",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            port,
            *argv,
            env=env,
            check=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        stop(children)


def cmd_test(argv: list[str]) -> None:
    ensure_venv()
    ensure_node_modules()
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "APP_ENV")}
    say("test suite on SQLite")
    status = run(PYTHON, "-m", "pytest", *argv, env={**base, "TEST_DATABASE_URL": ""}, check=False)
    pg_url = os.environ.get("TEST_DATABASE_URL") or (PG_URL if postgres_answers() else None)
    if pg_url is None:
        say("PostgreSQL does not answer on 127.0.0.1:5432: skipped the PostgreSQL run")
        sys.exit(status)
    say("database tests on PostgreSQL")
    pg_status = run(
        PYTHON,
        "-m",
        "pytest",
        "tests/app",
        *argv,
        env={**base, "TEST_DATABASE_URL": pg_url},
        check=False,
    )
    sys.exit(status or pg_status)


def mypy_errors() -> list[tuple[str, str, int]]:
    """(baseline line, file, line number) of each error mypy reports (pyproject's settings).

    A baseline line is "file: [code] message" with no line or column numbers (also none in
    the message, e.g. 'defined on line 12'), so moving code does not change it. Anything
    else mypy prints (a note on an unused config section, say) is passed on.
    """
    result = subprocess.run(
        [str(PYTHON), "-m", "mypy", "--output", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    errors = []
    for line in result.stdout.splitlines():
        try:
            error = json.loads(line)
        except ValueError:
            print(line)
            continue
        if error.get("severity") != "error":
            continue
        path = error["file"].replace("\\", "/")
        message = re.sub(r"\bline \d+", "line N", " ".join(error["message"].split()))
        errors.append((f"{path}: [{error['code']}] {message}", path, error["line"]))
    print(result.stderr, end="", file=sys.stderr)
    if result.returncode not in (0, 1) or (result.returncode == 1 and not errors):
        sys.exit(f"mypy did not run to the end (exit status {result.returncode})")
    return errors


def mypy_against_baseline(update: bool) -> bool:
    """Whether mypy reports no error beyond mypy-baseline.txt (see mypy_errors for its lines).

    The baseline is a multiset: a line listed twice allows that error twice, so a third one
    is new. Errors outside MYPY_BASELINED are never allowed. Errors of the baseline that are
    gone only get a reminder to refresh it (`python3 dev.py lint --update-baseline`).
    """
    errors = mypy_errors()
    current = Counter(key for key, _, _ in errors)
    if update:
        kept = sorted(key for key in current.elements() if key.startswith(MYPY_BASELINED))
        header = [
            "# mypy errors in app/ and notifications/ that `python3 dev.py lint` tolerates:",
            "# one line per error, as 'file: [code] message' (no line numbers); a line twice",
            "# allows the error twice. Regenerate: python3 dev.py lint --update-baseline",
        ]
        MYPY_BASELINE.write_text("\n".join(header + kept) + "\n", encoding="utf-8")
        say(f"wrote {len(kept)} errors to {MYPY_BASELINE.name}")
    lines = MYPY_BASELINE.read_text(encoding="utf-8").splitlines() if MYPY_BASELINE.exists() else []
    known = Counter(line for line in lines if line.startswith(MYPY_BASELINED))
    new, gone = current - known, known - current
    if new:
        print(f"mypy: {sum(new.values())} new error(s), not in {MYPY_BASELINE.name}:")
        for key, path, line in sorted(errors, key=lambda e: e[1:]):
            if key in new:
                allowed = f"  (the baseline allows {known[key]})" if known[key] else ""
                print(f"  {path}:{line}: {key.split(': ', 1)[1]}{allowed}")
    if gone:
        print(f"mypy: {sum(gone.values())} error(s) of {MYPY_BASELINE.name} are gone:")
        for key in sorted(gone.elements()):
            print(f"  {key}")
        print("  refresh the baseline with: python3 dev.py lint --update-baseline")
    if not new:
        say(f"mypy: no new errors ({sum(current.values())} known in app/ and notifications/)")
    return not new


def cmd_lint(argv: list[str]) -> None:
    """ruff check, ruff format --check and mypy; all run, and any failure fails the lint."""
    if set(argv) - {"--update-baseline"}:
        sys.exit("usage: python3 dev.py lint [--update-baseline]")
    ensure_venv()
    failed = []
    say("ruff check")
    if run(PYTHON, "-m", "ruff", "check", ".", check=False) != 0:
        failed.append("ruff check")
    say("ruff format --check")
    if run(PYTHON, "-m", "ruff", "format", "--check", ".", check=False) != 0:
        failed.append("ruff format --check")
    say("mypy: matching/ strict, app/ and notifications/ against the baseline")
    if not mypy_against_baseline(update="--update-baseline" in argv):
        failed.append("mypy")
    if failed:
        sys.exit(f"lint failed: {', '.join(failed)}")


def cmd_translations(argv: list[str]) -> None:
    """Extract the messages, merge them into the nb/nn/en catalogues and compile them."""
    ensure_venv()
    pybabel = [PYTHON, "-m", "babel.messages.frontend"]
    pot = "app/translations/messages.pot"
    run(
        *pybabel,
        "extract",
        "-F",
        "babel.cfg",
        *(arg for keyword in BABEL_KEYWORDS for arg in ("-k", keyword)),
        "--no-location",
        "--sort-output",
        "-o",
        pot,
        ".",
    )
    for locale in ("nb", "nn", "en"):
        if (ROOT / "app/translations" / locale / "LC_MESSAGES/messages.po").exists():
            run(
                *pybabel,
                "update",
                "-i",
                pot,
                "-d",
                "app/translations",
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            run(*pybabel, "init", "-i", pot, "-d", "app/translations", "-l", locale)
    run(*pybabel, "compile", "-d", "app/translations", "--use-fuzzy" if "--fuzzy" in argv else "-f")


def main() -> None:
    commands = {
        "run": cmd_run,
        "test": cmd_test,
        "lint": cmd_lint,
        "translations": cmd_translations,
        "catch-mail": cmd_catch_mail,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
