"""Password hashing (argon2id), strength rules and temporary passwords."""

from __future__ import annotations

import secrets
import string

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 64
TEMPORARY_LENGTH = 12

#: Characters of generated passwords, without the look-alikes 0/O/o, 1/I/l/i.
_TEMP_DIGITS = "23456789"
_TEMP_UPPER = "ABCDEFGHJKMNPQRSTUVWXYZ"
_TEMP_LOWER = "abcdefghjkmnpqrstuvwxyz"

_hasher = PasswordHasher()


class WeakPasswordError(ValueError):
    """A password breaks the strength rules; the message is Chinese."""


def configure_hasher(
    time_cost: int = DEFAULT_TIME_COST,
    memory_cost: int = DEFAULT_MEMORY_COST,
    parallelism: int = DEFAULT_PARALLELISM,
) -> None:
    """Replace the module's argon2id hasher (tests use cheap parameters).

    Called without arguments it restores argon2-cffi's defaults.
    """
    global _hasher  # one process-wide hasher, swapped by tests
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` (salted, self-describing)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``; False for any bad input."""
    if not isinstance(password_hash, str) or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current hasher's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, UnicodeError):
        return True


def check_password_strength(password: str) -> None:
    """Raise WeakPasswordError unless ``password`` follows the portal's rules."""
    if not isinstance(password, str) or not password:
        raise WeakPasswordError("请输入密码")
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"密码长度至少为{MIN_LENGTH}位")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"密码长度不能超过{MAX_LENGTH}位")
    if any(char.isspace() or not char.isprintable() for char in password):
        raise WeakPasswordError("密码不能包含空格等空白字符")
    if len(set(password)) == 1:
        raise WeakPasswordError("密码不能由同一个字符重复组成")
    has_letter = any(char in string.ascii_letters for char in password)
    has_digit = any(char in string.digits for char in password)
    if not (has_letter and has_digit):
        raise WeakPasswordError("密码必须同时包含字母和数字")


def generate_temporary_password() -> str:
    """Return a random 12-character password that passes the strength check."""
    rng = secrets.SystemRandom()
    alphabet = _TEMP_DIGITS + _TEMP_UPPER + _TEMP_LOWER
    chars = [rng.choice(_TEMP_DIGITS), rng.choice(_TEMP_UPPER), rng.choice(_TEMP_LOWER)]
    chars += [rng.choice(alphabet) for _ in range(TEMPORARY_LENGTH - len(chars))]
    rng.shuffle(chars)
    password = "".join(chars)
    check_password_strength(password)
    return password
