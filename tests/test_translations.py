"""Every text of the UI has its English translation (Chinese is the source language)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PORTAL = Path(__file__).resolve().parents[1] / "portal"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}


def msgids_in_code() -> dict[str, str]:
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(PORTAL), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def english_catalog() -> dict[str, str]:
    translated = {}
    for path in PORTAL.glob("translations/*/en/LC_MESSAGES/messages.po"):
        with path.open("rb") as handle:
            for message in read_po(handle):
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                if msgid and message.string and not message.fuzzy:
                    translated[msgid] = message.string
    return translated


def test_every_ui_text_has_an_english_translation():
    translated = english_catalog()
    in_code = msgids_in_code()
    assert len(in_code) > 500  # the extraction itself works
    missing = {msgid: where for msgid, where in in_code.items() if msgid not in translated}
    assert not missing, "untranslated: " + "; ".join(f"{where} {msgid!r}" for msgid, where in missing.items())


def test_translations_keep_their_placeholders():
    for msgid, text in english_catalog().items():
        for placeholder in ("%(", "%s", "%d"):
            assert msgid.count(placeholder) == text.count(placeholder) or placeholder == "%(", (msgid, text)
        names = sorted(part.split(")")[0] for part in msgid.split("%(")[1:])
        assert names == sorted(part.split(")")[0] for part in text.split("%(")[1:]), (msgid, text)
