"""URL converters of the site: ``<id:…>`` for a record id in a URL."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from .services.review.queue import MAX_ID


class IdConverter(IntegerConverter):
    """A record id: 1 to 2³¹−1, the range of the database's integer keys. Any other number does not match the
    route, so the URL answers 404 like any unknown page instead of overflowing in the database."""

    def __init__(self, url_map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def init_converters(app: Flask) -> None:
    """Register the converters; before the blueprints, whose routes use them."""
    app.url_map.converters["id"] = IdConverter
