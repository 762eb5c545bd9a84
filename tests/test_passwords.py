"""Password hashing, verification, rehash detection and strength rules."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from portal.services.infrastructure import passwords
from portal.services.infrastructure.passwords import (
    WeakPasswordError,
    check_password_strength,
    configure_hasher,
    generate_temporary_password,
    hash_password,
    needs_rehash,
    verify_password,
)


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast argon2id parameters for the test; whatever hasher was set is restored after."""
    monkeypatch.setattr(passwords, "_hasher", passwords._hasher)
    configure_hasher(time_cost=1, memory_cost=8, parallelism=1)


def test_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password("Secret123"), hash_password("Secret123")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "Secret123" not in first


def test_verify_accepts_the_right_password_only() -> None:
    stored = hash_password("注册Secret123")
    assert verify_password(stored, "注册Secret123")
    assert not verify_password(stored, "注册Secret124")
    assert not verify_password(stored, "")


@pytest.mark.parametrize(
    ("stored", "given"),
    [
        ("", "Secret123"),
        ("not-a-hash", "Secret123"),
        ("$argon2id$v=19$m=8,t=1,p=1$broken", "Secret123"),
        ("$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$", "Secret123"),
        ("pbkdf2:sha256:600000$abc$def", "Secret123"),
        ("$argon2id$密码", "Secret123"),
        (None, "Secret123"),
        ("VALID", None),
        ("VALID", "\ud800surrogate"),
    ],
)
def test_verify_never_raises_for_bad_input(stored: str | None, given: str | None) -> None:
    if stored == "VALID":
        stored = hash_password("Secret123")
    assert verify_password(stored, given) is False


def test_needs_rehash_follows_the_configured_parameters() -> None:
    cheap = hash_password("Secret123")
    assert not needs_rehash(cheap)
    configure_hasher(time_cost=2, memory_cost=16, parallelism=1)
    assert needs_rehash(cheap)
    assert verify_password(cheap, "Secret123")  # old hashes still verify
    assert needs_rehash("garbage")


def test_default_hasher_is_argon2id_with_the_stated_parameters() -> None:
    old_default = PasswordHasher().hash("Secret123")  # argon2-cffi's default: RFC 9106 low-memory, 64 MiB, 4 lanes
    configure_hasher()
    try:
        parameters = passwords._hasher  # checking the restored default
        assert parameters.type.name == "ID"
        assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19 * 1024, 2, 1)
        fresh = hash_password("Secret123")
        assert "$argon2id$v=19$m=19456,t=2,p=1$" in fresh
        assert needs_rehash(old_default) and not needs_rehash(fresh)
        assert verify_password(old_default, "Secret123")
    finally:
        configure_hasher(time_cost=1, memory_cost=8, parallelism=1)  # the suite's cheap hasher (conftest)


@pytest.mark.parametrize(
    "password",
    ["Zhaohui2026", "安全工程师Safety2024", "p@ss-w0rd!", "correct horse battery staple", "安全工程师 每天 检查 阀门",
     "the quiet harbour keeps seven lanterns burning while the northern ferry waits for dawn tide"],
)
def test_strong_passwords_pass(password: str) -> None:
    check_password_strength(password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "请输入密码"),
        ("abc123", "至少为8位"),
        ("Tr0ub4dor&3 " * 11, "不能超过128位"),
        ("abcd\t1234xyz", "控制字符"),
        ("abcd\x001234xyz", "控制字符"),
        ("aaaaaaaaaa", "同一个字符"),
        ("1111111111", "同一个字符"),
        ("abcdefgh", "过于常见或容易猜到"),
        ("12345678", "过于常见或容易猜到"),
        ("1234567a", "过于常见或容易猜到"),
        ("安全工程师12345", "过于常见或容易猜到"),
        ("!@#$%^&*()", "过于常见或容易猜到"),
    ],
)
def test_weak_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(WeakPasswordError, match=message):
        check_password_strength(password)


def test_weak_password_error_is_a_value_error() -> None:
    assert issubclass(WeakPasswordError, ValueError)


def test_temporary_passwords_are_strong_and_unambiguous() -> None:
    generated = [generate_temporary_password() for _ in range(200)]
    assert len(set(generated)) == 200
    for password in generated:
        assert len(password) == 12
        assert password.isalnum() and password.isascii()
        assert not set(password) & set("0Oo1Il")
        check_password_strength(password)


def test_temporary_password_round_trips_through_the_hasher() -> None:
    temporary = generate_temporary_password()
    assert verify_password(hash_password(temporary), temporary)
