"""The domain error every service raises: a message a person can read, optionally tied to a form field."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. ``message`` is shown to the user as is (Chinese, translatable); ``field`` names the form
    field it belongs beside, when there is one."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(Exception):
    """The object does not exist or belongs to someone else. Not a ``DomainError``: views do not catch it, and the
    one error handler (``portal/errors.py``) answers 404, as for a URL that does not exist."""

    def __init__(self, message=None):
        super().__init__(str(message or ""))
        self.message = message
