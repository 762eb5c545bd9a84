"""Image captcha helpers: random text, PNG drawing and keyed answer digests.

Storing a challenge (single use, short-lived) is the caller's job; these
functions keep only a digest of the answer out of the image.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from captcha.image import ImageCaptcha

#: Letters and digits without the look-alikes 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
WIDTH, HEIGHT = 120, 40

_image_captcha = ImageCaptcha(width=WIDTH, height=HEIGHT, font_sizes=(28, 31, 34))


def new_captcha_text(length: int = 4) -> str:
    """Return a random captcha answer of ``length`` unambiguous characters."""
    if length < 1:
        raise ValueError("length must be positive")
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def captcha_png(text: str) -> bytes:
    """Draw ``text`` as a distorted 120x40 PNG image."""
    return _image_captcha.generate(text, format="png").getvalue()


def _normalise(answer: str) -> str:
    """Fold full-width input, strip spaces and upper-case."""
    return unicodedata.normalize("NFKC", answer).strip().upper()


def answer_digest(text: str, secret: str | bytes) -> str:
    """Return the hex HMAC-SHA256 of the normalised answer under ``secret``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = _normalise(text).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def answers_match(given: str | None, digest: str | None, secret: str | bytes) -> bool:
    """Compare a typed answer with a stored digest in constant time."""
    if not isinstance(given, str) or not isinstance(digest, str) or not given.strip():
        return False
    return hmac.compare_digest(answer_digest(given, secret).encode(), digest.encode())
