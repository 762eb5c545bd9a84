"""The registration bodies' codes and names as each process keeps them, read again at most every
``BODY_CHOICES_SECONDS`` (2 s).

There are a few dozen bodies and central staff rename one a few times a year. The console's 注册机构 filter and
the applicant's pages (the personal page, 历史记录) show body names from here instead of joining ``bodies`` into
their statements or loading a ``Body`` per row: the ORM's joined body in the login check cost ~50 µs of every
applicant page's CPU (issue 10). A body added or renamed — in the console, by an import, in any process on any
host — shows everywhere within those 2 s; the process that edited it forgets its copy at once (``forget``).
"""

from __future__ import annotations

import time
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Body

_EXTENSION = "kept_bodies"


class KeptBodies(NamedTuple):
    """The bodies as read at ``read_at`` (monotonic seconds)."""

    read_at: float
    #: each body's name by its id
    names: dict[int, str]
    #: (code, name) of every body in the console's order (sort order, then code)
    choices: list[tuple[str, str]]


def kept(*, fresh: bool = False) -> KeptBodies:
    """The bodies this process keeps, read again when they are ``BODY_CHOICES_SECONDS`` old (0: on every call) or
    when asked for ``fresh`` ones."""
    bodies = current_app.extensions.get(_EXTENSION)
    now = time.monotonic()
    if fresh or bodies is None or now - bodies.read_at >= float(current_app.config["BODY_CHOICES_SECONDS"] or 0):
        rows = db.session.execute(select(Body.id, Body.code, Body.name).order_by(Body.sort_order, Body.code)).all()
        bodies = current_app.extensions[_EXTENSION] = KeptBodies(
            now, {body_id: name for body_id, _code, name in rows}, [(code, name) for _id, code, name in rows])
    return bodies


def name_of(body_id: int | None) -> str | None:
    """The name of the body ``body_id`` (None for none). A body another process added in the last seconds is not
    kept yet: the bodies are read again then."""
    if body_id is None:
        return None
    name = kept().names.get(body_id)
    return name if name is not None else kept(fresh=True).names.get(body_id)


def forget() -> None:
    """Read the bodies again on the next call (after this process added or edited one)."""
    current_app.extensions.pop(_EXTENSION, None)
