"""Background jobs on Celery with Redis as the broker: mail delivery, the outbox sweep, the renewal reminders.

The worker and the scheduler are their own processes in production (README "Deployment")::

    celery -A portal.worker worker --pool solo --without-gossip --without-mingle
    celery -A portal.worker beat --schedule instance/celerybeat-schedule

Jobs only carry the outbox row's id and Message-ID: the row in the database is the truth, so a job lost on the way
(Redis down at the commit, a worker killed) is found again by the sweep, and a job delivered twice sends once.
At-least-once settings: a job is acknowledged after it ran (``task_acks_late``) and given back when its worker
dies (``task_reject_on_worker_lost``); one job at a time per worker (``worker_prefetch_multiplier=1``).
"""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, current_app

celery = Celery("portal")
DEFAULT_QUEUE = "portal"
FALLBACK_BROKER = "redis://127.0.0.1:6379/0"


def broker_url(config) -> str:
    return config.get("MAIL_QUEUE_URL") or config.get("REDIS_URL") or FALLBACK_BROKER


def queue_name(config) -> str:
    return config.get("MAIL_QUEUE_NAME") or DEFAULT_QUEUE


class AppTask(Task):
    """A task run inside the Flask app's context (its database session is removed afterwards)."""

    abstract = True

    def __call__(self, *args, **kwargs):
        flask_app = self.app.flask_app
        with flask_app.app_context():
            from .extensions import db

            try:
                return super().__call__(*args, **kwargs)
            finally:
                db.session.remove()


def init_jobs(app: Flask) -> None:
    """Configure the Celery app from the Flask settings (``MAIL_QUEUE_URL``, default ``REDIS_URL``) and add the
    ``flask mail`` commands. The last app built is the one the worker's tasks run in (a worker builds one)."""
    if not (app.config.get("MAIL_QUEUE_URL") or app.config.get("REDIS_URL")) and \
            app.config.get("MAIL_DELIVERY") == "queue" and app.config.get("ENV_NAME") == "production":
        app.logger.warning("Mail goes through the job queue, but neither REDIS_URL nor PORTAL_MAIL_QUEUE_URL is set: "
                           f"using {FALLBACK_BROKER}")
    broker, queue = broker_url(app.config), queue_name(app.config)
    celery.conf.update(
        broker_url=broker,
        task_default_queue=queue,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # A publish (after a request's commit) gives up after one quick retry when Redis is down, instead of kombu's
        # default ~6 s of retries inside the request; the sweep sends the row later.
        broker_transport_options={"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5,
                                  "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
        timezone=app.config["TIMEZONE"],
        worker_hijack_root_logger=False,
        beat_schedule={
            "mail-sweep": {"task": "portal.mail.sweep", "schedule": float(app.config.get("MAIL_SWEEP_SECONDS", 60))},
            "renewal-reminders": {"task": "portal.mail.reminders", "schedule": crontab(minute=7)},
            "deadline-digest": {"task": "portal.mail.digest", "schedule": crontab(minute=37, hour="8-17")},
        },
    )
    celery.Task = AppTask
    celery.flask_app = app
    app.extensions["celery"] = celery

    from .services.notifications.commands import mail_cli

    app.cli.add_command(mail_cli)


def enqueue_deliveries(pairs: list[tuple[int, str]], countdown: float | None = None) -> None:
    """Put one delivery job per outbox row on the queue of the current app's settings (one connection, no retrying
    here: a failed publish is left to the sweep). The connection is this app's own, not one from the Celery app's
    pools, which keep the broker they were first made for."""
    config = current_app.config
    with celery.connection_for_write(broker_url(config)) as connection:
        for outbox_id, message_id in pairs:
            deliver_mail.apply_async((outbox_id, message_id), countdown=countdown, retry=False,
                                     connection=connection, queue=queue_name(config))


@celery.task(name="portal.mail.deliver", bind=True, base=AppTask)
def deliver_mail(self, outbox_id: int, message_id: str) -> None:
    """Send one outbox row; after a temporary failure the next attempt is queued with the row's backoff."""
    from .services.infrastructure.outbox import deliver

    retry_in = deliver(outbox_id, message_id)
    if retry_in is not None:
        current_app.logger.info("Mail %s: next attempt in %.0f s", message_id, retry_in)
        enqueue_deliveries([(outbox_id, message_id)], countdown=retry_in)


@celery.task(name="portal.mail.sweep", base=AppTask)
def sweep_outbox() -> int:
    """Re-enqueue outbox rows whose job was lost or whose worker died (every ``MAIL_SWEEP_SECONDS``)."""
    from .services.infrastructure.outbox import sweep

    return sweep()


@celery.task(name="portal.mail.reminders", base=AppTask)
def renewal_reminders() -> int:
    """The renewal reminders due today (hourly: the ledger keeps each to one, a missed run is caught up)."""
    from .services.notifications.reminders import run_reminders

    return run_reminders().mailed


@celery.task(name="portal.mail.digest", base=AppTask)
def deadline_digest() -> int:
    """Each body's daily digest of applications near or over their limit (once a day per body)."""
    from .services.notifications.digest import run_digest

    return run_digest().mailed
