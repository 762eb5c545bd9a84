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

#: Letters and digits without the look-alikes 0/O, 1/I/L (answers are compared upper-cased, so l is I).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
WIDTH, HEIGHT = 160, 56
#: dark ink only: each has a contrast of at least 7:1 against the white ground
INKS = ((20, 30, 60), (90, 20, 20), (15, 70, 30), (60, 30, 90), (30, 30, 30))


class ClearCaptcha(ImageCaptcha):
    """The library's captcha with less distortion (a careful reader misread 2 of 4 of the old ones): gentler
    rotation and warp, no gaps inside the word, dark ink on white, a few dots and one thin curve. The strength is
    the alphabet's and the length's (31⁴ answers, single use, short-lived), not the noise's."""

    character_rotate = (-12, 12)
    character_warp_dx = (0.05, 0.12)
    character_warp_dy = (0.05, 0.12)
    word_space_probability = 1.0  # never a blank between letters
    word_offset_dx = 0.1
    #: the library pastes each letter through its luminance, which leaves dark ink faint: make any ink opaque
    lookup_table = [min(255, value * 8) for value in range(256)]

    def generate_image(self, chars: str, bg_color=None, fg_color=None):
        ink = secrets.choice(INKS)
        image = self.create_captcha_image(chars, (*ink, 255), (255, 255, 255))
        self.create_noise_dots(image, (*ink, 255), width=2, number=12)
        self.create_noise_curve(image, (*ink, 255))
        return image


_image_captcha = ClearCaptcha(width=WIDTH, height=HEIGHT, font_sizes=(38, 41, 44))


def new_captcha_text(length: int = 4) -> str:
    """Return a random captcha answer of ``length`` unambiguous characters."""
    if length < 1:
        raise ValueError("length must be positive")
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def captcha_png(text: str) -> bytes:
    """Draw ``text`` as a lightly distorted 160x56 PNG image."""
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
