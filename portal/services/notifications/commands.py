"""``flask mail …``: the outbox's sweep, the renewal reminders and a summary, for operators and for ``make run``.

In production the scheduler runs the same jobs (``portal/jobs.py``); these commands are for a one-off run, a
cron-less installation, or looking at the outbox.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ...extensions import db
from ...models import OutboxMessage
from ..infrastructure import outbox

#: how long a command waits for the in-process deliveries it started (MAIL_DELIVERY=inline)
WAIT_SECONDS = 60


@click.group("mail")
def mail_cli() -> None:
    """The mail outbox and the renewal reminders."""


def _wait_for_inline_deliveries() -> None:
    if current_app.config.get("MAIL_DELIVERY", "inline") != "queue":
        outbox.inline_delivery(current_app._get_current_object()).wait(WAIT_SECONDS)


@mail_cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Hand pending mail whose delivery was lost, or whose worker died, to the delivery again."""
    count = outbox.sweep()
    _wait_for_inline_deliveries()
    click.echo(f"重新交付发送：{count} 封。")


@mail_cli.command("reminders")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the registry's day to run for (default: today)")
@with_appcontext
def reminders_command(day) -> None:
    """Mail the renewal reminders due today (each at most once per certificate; safe to run again)."""
    from .reminders import run_reminders

    run = run_reminders(day.date() if day else None)
    _wait_for_inline_deliveries()
    click.echo(f"{run.day:%Y-%m-%d} 续期提醒：发出 {run.mailed} 封，跳过已过时的提醒 {run.superseded} 条。")


@mail_cli.command("digest")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the registry's day to run for (default: today)")
@with_appcontext
def digest_command(day) -> None:
    """Mail each registration body its applications near or over their time limit (once a day per body)."""
    from .digest import run_digest

    run = run_digest(day.date() if day else None)
    _wait_for_inline_deliveries()
    click.echo(f"{run.day:%Y-%m-%d} 办理期限提醒：发出 {run.mailed} 封，今日已发 {run.already} 封。")


@mail_cli.command("status")
@with_appcontext
def status_command() -> None:
    """How many outbox messages are in each state."""
    rows = db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
    counts = dict(rows)
    click.echo("  ".join(f"{state}: {counts.get(state, 0)}" for state in ("pending", "sending", "sent", "failed")))


__all__ = ["mail_cli"]
