"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's ``RedisCacheClient.get_client()`` builds a new ``redis.Redis`` on every call, which copies
two dictionaries of every command's callbacks: 55-90 us, more than the GET it is built for, on every
page served from the shared cache. Django offers no setting for the client (its OPTIONS go to
the connection pool: ``pool_class``, ``parser_class``, ``serializer``), so this subclass is the one
way to keep it. A client over a pool is safe to share between threads, and the pool reconnects
after a fork.

It leans on three internals of django/core/cache/backends/redis.py (Django 5.2): ``RedisCache._class``
(the client class ``_cache`` builds), ``RedisCacheClient._get_connection_pool(write)`` and
``RedisCacheClient._client`` (the redis-py class). tests/test_redis_cache.py fails if any of them
changes, rather than letting every cache read quietly get slower again.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # Keyed by identity: Django keeps each pool for the life of the process.
        client = self._clients.get(id(pool))
        if client is None:
            # Two threads may both get here; each gets a working client and the last one is kept.
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
