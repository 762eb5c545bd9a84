"""The domain error every service raises: a message a person can read, optionally tied to a form field."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. ``message`` is shown to the user as is (Chinese, translatable); ``field`` names the form
    field it belongs beside, when there is one."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist or belongs to someone else (answered as 404)."""
