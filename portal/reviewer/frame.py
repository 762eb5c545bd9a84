"""The parts of a console page's frame that do not change between requests, rendered once per process (issue 10).

Flask-Admin renders the whole frame on every request: the menu (each entry's translated name and ``url_for``), the
stylesheets and scripts (a ``url_for`` each), the filter menu's translated labels and choices. With a list's SQL at
a few milliseconds that was a third of a list page's CPU. Here each part is kept, per app, under a key that holds
everything its output depends on:

- always the language and the script root (``request.script_root``: where the app is mounted);
- the menu: for every entry, whether this staff member may see it and whether it is the current page
  (``menu_state``) — so a reviewer's and central staff's menus, and each queue's highlighted entry, are kept apart;
- static files and fixed pages' URLs: the endpoint and its arguments (``url``);
- blocks of stylesheets and scripts (``block``): the block and the view;
- the filter menu: the view (its filters' labels and choices are fixed when the console is built; the body filter's
  choices, read from the database, are filled in per request by ``filters.adjust_filter_groups``).

The cache is a dict in ``app.extensions``: a few dozen entries (views × languages × roles), never evicted.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request, url_for
from flask_babel import get_locale
from markupsafe import Markup

_EXTENSION = "reviewer_console_frame"


def _store() -> dict:
    store = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = current_app.extensions[_EXTENSION] = {}
    return store


def _full_key(key: tuple) -> tuple:
    return (str(get_locale()), request.script_root, *key)


def cached_value(key: tuple, compute: Callable[[], object]) -> object:
    """``compute()``, kept under ``key`` with the language and script root (for values the caller must not change:
    copy before changing)."""
    store, full = _store(), _full_key(key)
    if full not in store:
        store[full] = compute()
    return store[full]


def menu_state(admin, view) -> tuple:
    """What the menu's output depends on besides the language: for each entry (depth first), may this staff
    member see it, is it visible, is it the page shown."""
    state = []

    def walk(items):
        for item in items:
            if item.is_category():
                walk(item._children)
            else:
                state.append((item.is_accessible(), item.is_visible(), item.is_active(view)))
    walk(admin.menu())
    walk(admin.menu_links())
    return tuple(state)


def url(endpoint: str, **arguments) -> str:
    """``url_for`` of an endpoint named in full (not ``.name``) whose URL depends on nothing but its arguments — a
    static file, a fixed page — built once per endpoint, arguments and script root."""
    store = _store()
    full = ("url", request.script_root, endpoint, *sorted(arguments.items()))
    found = store.get(full)
    if found is None:
        found = store[full] = url_for(endpoint, **arguments)
    return found


class StaticFiles:
    """Flask-Admin's ``admin_static`` as a template global: ``admin_static.url(filename=…, v=…)`` is a static file's
    URL, built once per process (``url``). Flask-Admin's base template imports ``admin/static.html`` as
    ``admin_static`` with context on every page, for itself and for the pages that extend it (the detail page's
    script); the console's frame (reviewer/master.html) relies on this instead."""

    def __init__(self, admin_endpoint: str) -> None:
        self.endpoint = f"{admin_endpoint}.static"

    def url(self, **arguments) -> str:
        return url(self.endpoint, **arguments)


def block(key: tuple, nonce, caller) -> Markup:
    """A template block's output (``{% call console_block(key, admin_csp_nonce_attribute) %}{{ super() }}
    {% endcall %}``), kept under ``key`` with the language and script root — unless a CSP nonce, new on every page,
    is part of it."""
    if nonce:
        return Markup(caller())  # noqa: S704 - a rendered block, escaped there
    store, full = _store(), _full_key(("block", *key))
    found = store.get(full)
    if found is None:
        found = store[full] = Markup(caller())  # noqa: S704 - a rendered block, escaped there
    return found
