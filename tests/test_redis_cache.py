"""One redis-py client per connection pool (newsroom/redis_cache.py), not one per cache call."""

import redis
from django.core.cache import cache


def test_cache_calls_share_one_redis_client(shared_cache, monkeypatch):
    """newsroom/redis_cache.py overrides Django internals. If Django renames or reshapes them, this
    fails (an AttributeError, or a client built per call) instead of every page served from the
    cache quietly paying for a new client again."""
    built = []
    build = redis.Redis.__init__

    def counting(client, *args, **kwargs):
        built.append(client)
        build(client, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for number in range(20):
        cache.set(f"story-{number}", number)
        assert cache.get(f"story-{number}") == number
    assert len(built) == 1, "a Redis client per cache call: see newsroom/redis_cache.py"
