"""The login rate limit is kept in Redis when ``REDIS_URL`` is set, so every gunicorn worker counts an address
together (in-memory limits would be per worker). Needs the Redis server on 127.0.0.1:6379, as CI has."""

from __future__ import annotations

import secrets

import pytest
import redis

from tests.accounts_helpers import login
from tests.factories import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/15"
PREFIX = f"portal-test-{secrets.token_hex(6)}"


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({error}); start it: redis-server --daemonize yes")
    yield client
    for key in client.scan_iter(f"*{PREFIX}*"):
        client.delete(key)
    client.close()


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
                                         "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": PREFIX}])
def test_login_attempts_are_counted_in_redis(app, client, applicant, redis_client):
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    for _ in range(3):
        assert login(client, applicant.id_number, "Wrong2026x").status_code == 200
    counters = [key for key in redis_client.scan_iter(f"*{PREFIX}*")]
    assert counters, "the attempts were not counted in Redis"
    assert sum(int(redis_client.get(key)) for key in counters if redis_client.type(key) == b"string") >= 3
    refused = login(client, applicant.id_number, PASSWORD)
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.get_data(as_text=True)
