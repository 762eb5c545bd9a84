"""Flask commands: ``import``, ``create-staff``, ``demo-data``, ``reference-data``, ``synth``, ``clean-uploads``."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from .extensions import db
from .models import Person, StaffRole
from .reference import ensure_reference_data
from .services.data.imports import ImportFailed, import_csv
from .services.errors import DomainError

MAX_ERRORS_SHOWN = 200


@click.command("import")
@click.argument("kind", type=click.Choice(["bodies", "exam-records", "registered"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(kind: str, path: Path) -> None:
    """Load a UTF-8 CSV file (header row; BOM allowed). All or nothing: bad rows are listed and nothing is saved."""
    bar = ProgressBar() if sys.stderr.isatty() else None
    try:
        with path.open("rb") as stream:
            result = import_csv(kind, stream, progress=bar)
    except ImportFailed as failure:
        db.session.rollback()
        if bar is not None:
            bar.finish()
        for error in failure.errors[:MAX_ERRORS_SHOWN]:
            click.echo(str(error), err=True)
        if failure.total > MAX_ERRORS_SHOWN:
            click.echo(f"……另有 {failure.total - MAX_ERRORS_SHOWN} 处错误未列出", err=True)
        click.echo(f"导入失败：{failure.total} 处错误，文件中的数据均未导入。", err=True)
        sys.exit(1)
    db.session.commit()
    if bar is not None:
        bar.finish()
    click.echo(f"导入成功：新增 {result.created} 条，更新 {result.updated} 条。")


class ProgressBar:
    """One line on the terminal, redrawn at most 5 times a second: bar, rows, rows per second and time left."""

    def __init__(self):
        self.started, self.drawn = time.monotonic(), 0.0
        self.shown = False

    def __call__(self, rows: int, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.2 and done != total:
            return
        self.drawn = now
        elapsed = max(now - self.started, 1e-6)
        rate = rows / elapsed
        if total:
            fraction = min(done / total, 1.0)
            left = elapsed * (1 - fraction) / fraction if fraction else 0
            filled = int(fraction * 30)
            line = (f"[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}  {rows:,} 行  {rate:,.0f} 行/秒  "
                    f"剩余 {int(left) // 60}:{int(left) % 60:02d}")
        else:
            line = f"{rows:,} 行  {rate:,.0f} 行/秒"
        click.echo(f"\r{line}\x1b[K", err=True, nl=False)
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            click.echo("", err=True)


@click.command("create-staff")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), required=True)
@click.option("--body", "body_code", help="Registration body code (required for reviewers).")
@click.option("--name", help="Display name (defaults to the username).")
def create_staff_command(username: str, role: str, body_code: str | None, name: str | None) -> None:
    """Create a console account; the password is read from standard input (never from an argument)."""
    from .services.accounts.staff import create_staff

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        staff = create_staff(username, StaffRole(role), password, body_code=body_code, name=name)
    except DomainError as error:
        db.session.rollback()
        click.echo(f"创建失败：{error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"已创建 {staff.username}（{staff.role.label}，{staff.body.name}）。")


@click.command("reference-data")
def reference_data_command() -> None:
    """Add the reference registration bodies that are missing."""
    added = ensure_reference_data()
    db.session.commit()
    click.echo(f"已添加 {added} 个注册机构。")


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when persons already exist.")
def demo_data_command(if_empty: bool) -> None:
    """Load the demonstration set and print its logins (development only)."""
    from .services.data.demo import load_demo_data
    from .services.infrastructure.outbox import no_mail

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("demo data is never loaded in production")
    if if_empty and db.session.scalar(select(func.count(Person.id))):
        click.echo("数据库中已有数据，未加载演示数据。")
        return
    with no_mail():  # the demo's history is made up: nobody is mailed about it
        logins = load_demo_data()
    db.session.commit()
    click.echo("演示数据已加载。登录信息（证件类型均为“居民身份证”，控制台地址 /reviewer/）：")
    for login in logins:
        password = f"  密码 {login.password}" if login.password else ""
        click.echo(f"  {login.who}：{login.id_type} {login.login}{password}")


@click.command("synth")
@click.option("--persons", type=click.IntRange(1, 10_000_000), required=True)
def synth_command(persons: int) -> None:
    """Bulk-insert synthetic persons with certificates (benchmarks)."""
    from .services.data.synth import synth_persons

    ensure_reference_data()
    started = time.perf_counter()
    synth_persons(persons)
    db.session.commit()
    click.echo(f"已生成 {persons} 名人员及执业证，用时 {time.perf_counter() - started:.1f} 秒。")


@click.command("clean-uploads")
@click.option("--hours", type=click.IntRange(1, 24 * 365), default=24, show_default=True,
              help="Only files stored longer ago than this.")
@click.option("--delete", "remove", is_flag=True, help="Delete them (without it, only list them).")
def clean_uploads_command(hours: int, remove: bool) -> None:
    """List (or delete) stored upload files no application material refers to: files of uploads whose request
    rolled back. Safe to run while the portal serves: recent files are left alone."""
    from .clock import utcnow
    from .models import ApplicationMaterial
    from .services.storage import orphans, storage

    referenced = set()
    for key, thumbnail in db.session.execute(select(ApplicationMaterial.storage_key,
                                                    ApplicationMaterial.thumbnail_key)):
        referenced.update(k for k in (key, thumbnail) if k)
    store = storage()
    found = orphans(store, referenced, before=utcnow() - timedelta(hours=hours))
    for key in found:
        click.echo(key)
        if remove:
            store.delete(key)
    db.session.commit()
    click.echo(f"{'已删除' if remove else '找到'} {len(found)} 个无引用的上传文件。")


def init_commands(app: Flask) -> None:
    for command in (import_command, create_staff_command, reference_data_command, demo_data_command, synth_command,
                    clean_uploads_command):
        app.cli.add_command(command)
