"""Command groups: ``flask reference``, ``users``, ``demo``, ``matching``, ``notifications``.

Each command is one unit of work (app.unit_of_work): it commits once when it is done and rolls
back on any error. A broken rule or bad input prints one line on standard error and exits 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from .errors import BrokenRule
from .extensions import db
from .unit_of_work import unit_of_work


class Refused(click.ClickException):
    """Bad input or a broken rule: ``Error: <words>`` on one line, exit status 2."""

    exit_code = 2


class EdgeGroup(AppGroup):
    """An AppGroup whose commands each run in one unit of work, with broken rules as
    ``Refused``."""

    def command(self, *args: Any, **kwargs: Any) -> Callable:  # type: ignore[override]
        register = super().command(*args, **kwargs)

        def decorator(f: Callable) -> Any:
            @functools.wraps(f)
            def run(*a: Any, **kw: Any) -> Any:
                try:
                    with unit_of_work():
                        return f(*a, **kw)
                except BrokenRule as error:
                    raise Refused(error.message) from error

            return register(run)

        return decorator


reference_cli = EdgeGroup("reference", help="Reference data: regions, trusts, municipalities...")
users_cli = EdgeGroup("users", help="User accounts.")
demo_cli = EdgeGroup("demo", help="The demo data set.")
matching_cli = EdgeGroup("matching", help="Matching runs.")
notifications_cli = EdgeGroup("notifications", help="The outbox: email delivery and reminders.")
privacy_cli = EdgeGroup("privacy", help="Data protection: the retention rules.")


@reference_cli.command("load")
def reference_load() -> None:
    """Load or update the reference data (idempotent)."""
    from . import lottery
    from .dates import local_today
    from .reference.loader import load_reference_data, reference_counts

    changes = load_reference_data()
    changes["lottery_seeds_drawn"] = lottery.draw_ahead(local_today())
    for key, value in changes.items():
        click.echo(f"  {key}: {value}")
    counts = reference_counts()
    click.echo("Reference data: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


@users_cli.command("two-factor-off")
@click.option("--email", required=True)
def users_two_factor_off(email) -> None:
    """Turn off two-factor authentication for a user who lost the phone and the recovery
    codes (check who asks first): logged out everywhere, API tokens end."""
    from .auth import two_factor
    from .auth.services import get_user_by_email

    user = get_user_by_email(email)
    if user is None:
        raise Refused(f"--email: no account with the email {email!r}")
    if not user.two_factor_enabled:
        raise Refused(f"--email: {user.email} has no two-factor authentication")
    two_factor.reset(user)
    click.echo(f"Two-factor authentication is off for {user.role} {user.email} (id {user.id})")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="Checked against the password policy.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["gp", "trust", "coordinator", "admin", "municipality"]),
)
@click.option("--trust", "trust_code", help="Trust code (role trust).")
@click.option("--region", "region_code", help="Region code (role coordinator; none: national).")
@click.option(
    "--municipality",
    "municipality_numbers",
    multiple=True,
    help="Municipality number (role municipality; repeat for several).",
)
def users_create(email, password, role, trust_code, region_code, municipality_numbers) -> None:
    """Create a user account."""
    from .auth.passwords import password_problem
    from .auth.services import AccountError, create_user
    from .models import Region, Trust
    from .municipalities.services import municipalities_by_number

    problem = password_problem(password, email)
    if problem:
        raise Refused(f"--password: {problem}")
    trust = region = None
    if trust_code:
        trust = db.session.scalar(sa.select(Trust).where(Trust.code == trust_code))
        if trust is None:
            raise Refused(f"--trust: no trust with code {trust_code!r}")
    if region_code:
        region = db.session.scalar(sa.select(Region).where(Region.code == region_code))
        if region is None:
            raise Refused(f"--region: no region with code {region_code!r}")
    municipalities, unknown = municipalities_by_number(municipality_numbers)
    if unknown:
        raise Refused(f"--municipality: no municipality with number {unknown[0]!r}")
    try:
        user = create_user(
            email, password, role, trust=trust, region=region, municipalities=municipalities
        )
    except AccountError as error:
        option = (error.field or "email").removesuffix("_id")
        option = "municipality" if option == "municipalities" else option
        raise Refused(f"--{option}: {error.message}") from error
    click.echo(f"Created {user.role} {user.email} (id {user.id})")


@users_cli.command("disable")
@click.option("--email", required=True)
def users_disable(email) -> None:
    """Disable an account: logged out everywhere, API tokens and emailed links end."""
    _set_active(email, False)


@users_cli.command("enable")
@click.option("--email", required=True)
def users_enable(email) -> None:
    """Enable a disabled account again."""
    _set_active(email, True)


def _set_active(email: str, active: bool) -> None:
    from .auth.services import get_user_by_email, set_active

    user = get_user_by_email(email)
    if user is None:
        raise Refused(f"--email: no account with the email {email!r}")
    set_active(user, active, actor=None)
    click.echo(f"{'Enabled' if active else 'Disabled'} {user.role} {user.email} (id {user.id})")


@demo_cli.command("load")
@click.option("--national", is_flag=True, help="Every region, a year of history (minutes).")
@click.option(
    "--scale",
    type=click.FloatRange(0.01, 20),
    default=1.0,
    show_default=True,
    help="With --national: GPs (2,000) and periods (800) times this.",
)
@click.option("--seed", type=int, help="With --national: the same seed gives the same data.")
def demo_load(national, scale, seed) -> None:
    """Load the demo data set (reference data must be loaded first): Helse Vest, or with
    --national every region at full size on an otherwise empty database."""
    from .demo import DEMO_PASSWORD, SEED, demo_logins, load_demo

    if national:
        _demo_load_national(scale, SEED if seed is None else seed)
        return
    counts = load_demo()
    if counts:
        click.echo("Demo data: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    else:
        click.echo("Demo data is already loaded.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login in demo_logins():
        click.echo(f"  {login.role:<12} {login.email:<34} {login.description}")


def _demo_load_national(scale: float, seed: int) -> None:
    import time

    from .demo import DEMO_PASSWORD
    from .demo_national import NotEmpty, is_loaded, load_national

    if is_loaded():
        click.echo("The national demo data is already loaded.")
        return
    started = time.perf_counter()
    try:
        load = load_national(scale=scale, seed=seed)
    except NotEmpty as error:
        raise Refused(str(error)) from error
    db.session.flush()  # the command's unit of work commits it when the command ends
    seconds = time.perf_counter() - started
    click.echo(f"National demo data (scale {scale:g}, seed {seed}), loaded in {seconds:.0f} s:")
    for code, counts in load.per_region.items():
        statuses = ", ".join(
            f"{counts[s]} {s}" for s in ("open", "matched", "filled", "advertised", "withdrawn")
        )
        click.echo(f"  {code}: {counts['gps']} GPs, {counts['periods']} periods ({statuses})")
    click.echo("  in all: " + ", ".join(f"{n} {k}" for k, n in load.totals.items()))
    click.echo(
        f"Logins (password {DEMO_PASSWORD}): admin@demo.alis.no, koordinator.nasjonal@…, "
        "koordinator.<region code>@…, hr.<trust code>@…, kommune.<number>@… (Oslo 0301, "
        "Bergen 4601, Trondheim 5001, Tromsø 5501), alis0000@… (GPs)"
    )


@matching_cli.command("run")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--region", "region_code", help="Region code (default: every region).")
def matching_run(as_of, dry_run, region_code) -> None:
    """Run the matching now (the same as the nightly run). A run that is not a dry run is
    dated today; a dry run may look ahead."""
    from .dates import local_today
    from .errors import InvalidInput
    from .models import Region
    from .runs.services import RunRefused, RunRequest, check_run_date, execute

    day = as_of.date() if as_of else local_today()
    try:
        check_run_date(day, dry_run=dry_run)
    except InvalidInput as error:
        raise Refused(f"--as-of: {error.message}") from error
    region = None
    if region_code:
        region = db.session.scalar(sa.select(Region).where(Region.code == region_code))
        if region is None:
            raise Refused(f"--region: no region with code {region_code!r}")
    request = RunRequest(as_of=day, dry_run=dry_run, trigger="manual", region=region)
    try:
        run = execute(request)
    except RunRefused as refused:
        raise Refused(refused.message) from refused
    summary = run.summary
    click.echo(
        f"Run {run.id} ({'dry run' if run.dry_run else 'committed'}) as of {run.as_of}: "
        f"{summary['new_proposals']} new proposals, {summary['dropped_proposals']} dropped, "
        f"{summary['expired']} offers expired, {summary['advertised']} periods advertised"
    )
    for code, region in summary["regions"].items():
        line = (
            f"  {code}: {region['status']}, {region['mode']}, {region['placements']} placements "
            f"of {region['periods']} periods and {region['gps']} GPs, "
            f"{sum(region['blocking_pairs_by_cause'].values())} blocking pairs, "
            f"{region.get('passed_over', 0)} candidates passed over"
        )
        if "alternative" in region:
            alt = region["alternative"]
            line += (
                f"; {alt['mode']} would place {alt['placements']} passing over {alt['passed_over']}"
            )
        click.echo(line)


@matching_cli.command("export")
@click.argument("run_id", type=int)
@click.option("--region", "region_code", help="Region code (default: the only or first one).")
def matching_export(run_id, region_code) -> None:
    """Write the problem of a stored run as problem JSON (for python -m matching solve)."""
    import json

    from .models import MatchingRun

    run = db.session.get(MatchingRun, run_id)
    if run is None or not run.problem:
        raise click.ClickException(f"run {run_id} has no stored problem")
    code = region_code or sorted(run.problem)[0]
    if code not in run.problem:
        raise click.ClickException(
            f"run {run_id} has no problem for {code!r}: {sorted(run.problem)}"
        )
    click.echo(json.dumps(run.problem[code], indent=2, ensure_ascii=False))


@notifications_cli.command("send")
def notifications_send() -> None:
    """Deliver every email and webhook event that is due now (digests included); the
    scheduler does this every minute."""
    from .handoff.outbox import send_due as send_webhooks
    from .mail import send_due

    report = send_due()
    click.echo(f"Outbox: {report}")
    click.echo(f"Webhooks: {send_webhooks()}")


@notifications_cli.command("remind")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
def notifications_remind(as_of) -> None:
    """Queue reminders for offers whose acceptance deadline is at most 3 days away, and for
    application rounds whose deadline is at most 14 days away."""
    from .announce import remind_offers, remind_rounds
    from .dates import local_today

    day = as_of.date() if as_of else local_today()
    count = remind_offers(day)
    click.echo(f"Queued {count} offer reminders")
    click.echo(f"Queued {remind_rounds(day)} round reminders")


@notifications_cli.command("surveys")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
def notifications_surveys(as_of) -> None:
    """Invite to the evaluation of placements that ended; remind once those who have not
    answered (the scheduler's 08:10 job)."""
    from .dates import local_today
    from .learning.surveys import invite_ended, remind_unanswered

    today = as_of.date() if as_of else local_today()
    invited = invite_ended(today)
    reminded = remind_unanswered(today)
    click.echo(f"Invited {invited} placements to the evaluation; queued {reminded} reminders")


@privacy_cli.command("retention")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
def privacy_retention(as_of) -> None:
    """Reduce the matching runs whose retention has passed and delete audit events older than
    the audit retention (the scheduler does this every night)."""
    from .dates import local_today
    from .privacy.retention import apply_retention

    click.echo(f"Retention: {apply_retention(as_of.date() if as_of else local_today())}")


def register_cli(app: Flask) -> None:
    for group in (reference_cli, users_cli, demo_cli, matching_cli, notifications_cli, privacy_cli):
        app.cli.add_command(group)

    @app.cli.command("scheduler")
    def scheduler() -> None:
        """Run the scheduled jobs (nightly matching at 02:00, email every minute, offer
        reminders at 08:00) in this process until stopped. It logs what it does (a missed
        nightly run it catches up on, each job) on standard error."""
        import logging

        from flask.logging import default_handler

        from .jobs import build_scheduler

        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        app.logger.removeHandler(default_handler)  # one line per message, through the root
        sched = build_scheduler(app)
        for job in sched.get_jobs():
            click.echo(f"{job.name}: {job.trigger}")
        sched.start()
