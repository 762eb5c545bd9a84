"""Chinese is the UI's own language (the guide's words are the msgids); English is the translation.

Each area keeps its own catalog (``portal/translations/<area>/en/LC_MESSAGES/messages.po``) so that work on one
area does not conflict with another; Flask-Babel merges them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, session


def translation_directories(app: Flask) -> str:
    root = Path(app.root_path) / "translations"
    areas = sorted(str(path) for path in root.iterdir() if path.is_dir()) if root.exists() else []
    return ";".join(areas) or str(root)


def select_locale() -> str:
    """The language chosen with the header's switch (kept in the session); Chinese otherwise."""
    if has_request_context() and session.get("lang") in current_app.config["LANGUAGES"]:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]
