#!/usr/bin/env python3
"""One command to run the portal, one to test it. Needs only Python 3.11+.

    python3 dev.py run     install into .venv, set up SQLite with demo data, start the app
    python3 dev.py test    install into .venv, run the suite on SQLite, then on PostgreSQL
                           when a server answers on 127.0.0.1:5432 (or TEST_DATABASE_URL)
    python3 dev.py translations   extract messages, update nb/nn/en catalogues, compile

Uses only the standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
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


def flask(*args: str, env: dict) -> None:
    run(PYTHON, "-m", "flask", "--app", "app", *args, env=env)


def postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def cmd_run(argv: list[str]) -> None:
    ensure_venv()
    env = {**os.environ, "APP_ENV": os.environ.get("APP_ENV", "development")}
    port = os.environ.get("PORT", "5000")
    say("creating or upgrading the database")
    flask("db", "upgrade", env=env)
    say("loading reference data")
    flask("reference", "load", env=env)
    say("loading demo data")
    flask("demo", "load", env=env)
    print(f"\n  The ALIS portal runs at http://127.0.0.1:{port}/  (Ctrl+C stops it)\n", flush=True)
    flask("run", "--host", "127.0.0.1", "--port", port, *argv, env=env)


def cmd_test(argv: list[str]) -> None:
    ensure_venv()
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
    commands = {"run": cmd_run, "test": cmd_test, "translations": cmd_translations}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
