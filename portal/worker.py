"""Entry point of the job queue's processes (settings from the environment, as for ``wsgi.py``)::

    celery -A portal.worker worker --pool solo --without-gossip --without-mingle
    celery -A portal.worker beat --schedule instance/celerybeat-schedule
"""

from celery.signals import worker_ready

from portal import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]  # the name celery's -A looks for


@worker_ready.connect
def _catch_up(**_kwargs) -> None:
    """A worker that starts (again) hands out what waited meanwhile: pending mail, and mail of a dead worker."""
    from portal.extensions import db
    from portal.services.infrastructure.outbox import sweep

    with flask_app.app_context():
        try:
            sweep()
        finally:
            db.session.remove()
