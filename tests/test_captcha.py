"""Captcha helpers: alphabet, PNG image, keyed digest comparison."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.services.infrastructure.captcha import ALPHABET, answer_digest, answers_match, captcha_png, new_captcha_text

SECRET = "test-secret"


def test_text_uses_only_unambiguous_characters() -> None:
    texts = [new_captcha_text() for _ in range(200)]
    assert all(len(text) == 4 for text in texts)
    used = set("".join(texts))
    assert used <= set(ALPHABET)
    assert not used & set("0O1IL")
    assert len(set(texts)) > 150  # random, not a fixed sequence


def test_text_length_is_configurable() -> None:
    assert len(new_captcha_text(6)) == 6
    with pytest.raises(ValueError):
        new_captcha_text(0)


def test_png_is_160_by_56() -> None:
    png = captcha_png("AB3K")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (160, 56)
        assert image.format == "PNG"


def test_digest_is_keyed_and_does_not_contain_the_answer() -> None:
    digest = answer_digest("AB3K", SECRET)
    assert len(digest) == 64
    assert "AB3K" not in digest
    assert digest != answer_digest("AB3K", "other-secret")
    assert answer_digest("AB3K", SECRET.encode()) == digest


@pytest.mark.parametrize("typed", ["AB3K", "ab3k", " Ab3K ", "ＡＢ３Ｋ"])
def test_typed_answer_matches_regardless_of_case_spaces_and_width(typed: str) -> None:
    assert answers_match(typed, answer_digest("AB3K", SECRET), SECRET)


@pytest.mark.parametrize("typed", ["AB3", "AB3KX", "AB8K", "", "   ", None])
def test_wrong_answers_do_not_match(typed: str | None) -> None:
    assert not answers_match(typed, answer_digest("AB3K", SECRET), SECRET)


def test_wrong_secret_or_missing_digest_does_not_match() -> None:
    digest = answer_digest("AB3K", SECRET)
    assert not answers_match("AB3K", digest, "other-secret")
    assert not answers_match("AB3K", None, SECRET)
    assert not answers_match("AB3K", "", SECRET)
    assert not answers_match("AB3K", "非十六进制", SECRET)


def test_ink_is_dark_on_white() -> None:
    """Higher contrast than the library's pale random colours: the darkest pixels are near-black ink, the ground
    is white."""
    with Image.open(io.BytesIO(captcha_png("AB3K"))) as image:
        grey = image.convert("L")
        assert grey.getpixel((grey.width - 1, grey.height - 1)) >= 250 or grey.getextrema()[1] == 255
        assert grey.getextrema()[0] <= 60


def test_answers_are_case_insensitive_and_full_width_tolerant() -> None:
    digest = answer_digest("AB3K", "k")
    assert answers_match("ab3k", digest, "k") and answers_match(" ＡＢ３ｋ ", digest, "k")
