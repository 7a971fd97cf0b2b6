"""Command groups: ``flask reference``, ``flask users``, ``flask demo``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from .extensions import db

reference_cli = AppGroup("reference", help="Reference data (regions, trusts, municipalities, ...).")
users_cli = AppGroup("users", help="User accounts.")
demo_cli = AppGroup("demo", help="The demo data set.")


@reference_cli.command("load")
def reference_load() -> None:
    """Load or update the reference data (idempotent)."""
    from .reference.loader import load_reference_data, reference_counts

    changes = load_reference_data()
    db.session.commit()
    for key, value in changes.items():
        click.echo(f"  {key}: {value}")
    counts = reference_counts()
    click.echo("Reference data: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="Checked against the password policy.")
@click.option("--role", required=True, type=click.Choice(["gp", "trust", "coordinator", "admin"]))
@click.option("--trust", "trust_code", help="Trust code (role trust).")
@click.option("--region", "region_code", help="Region code (role coordinator; none: national).")
def users_create(email, password, role, trust_code, region_code) -> None:
    """Create a user account."""
    from .auth.passwords import password_problem
    from .auth.services import AccountError, create_user
    from .models import Region, Trust

    problem = password_problem(password, email)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    trust = region = None
    if trust_code:
        trust = db.session.scalar(sa.select(Trust).where(Trust.code == trust_code))
        if trust is None:
            raise click.BadParameter(f"no trust with code {trust_code!r}", param_hint="--trust")
    if region_code:
        region = db.session.scalar(sa.select(Region).where(Region.code == region_code))
        if region is None:
            raise click.BadParameter(f"no region with code {region_code!r}", param_hint="--region")
    try:
        user = create_user(email, password, role, trust=trust, region=region)
    except AccountError as error:
        raise click.UsageError(f"{error.field}: {error.message}") from error
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id})")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo data set (reference data must be loaded first)."""
    from .demo import DEMO_PASSWORD, demo_logins, load_demo

    counts = load_demo()
    db.session.commit()
    if counts:
        click.echo("Demo data: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    else:
        click.echo("Demo data is already loaded.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login in demo_logins():
        click.echo(f"  {login.role:<12} {login.email:<34} {login.description}")


def register_cli(app: Flask) -> None:
    for group in (reference_cli, users_cli, demo_cli):
        app.cli.add_command(group)
