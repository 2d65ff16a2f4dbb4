"""The shared state in Redis: for several processes or machines sharing one key.

Each operation is one Lua script, which Redis runs with nothing else in
between, so a check and the update that depends on it are atomic without
locks or retries. Leases are scored by the Redis server's own clock
(``TIME``), so replicas on machines whose clocks disagree still agree on when
a lease ran out. Keys start with ``inpaint:``; a script touches several keys,
so a Redis Cluster is not supported (one server, or a primary with replicas).

The ``redis`` package is imported only here, and only when a ``redis://``
URL is opened: the library and a single-process studio never need it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .store import SharedStateError, Taken

T = TypeVar("T")
PREFIX = "inpaint:"

_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

RESERVE = """
local n = tonumber(ARGV[1])
local values = {}
local fits = true
for i, key in ipairs(KEYS) do
  local v = tonumber(redis.call('GET', key) or '0')
  values[i] = v
  if v + n > tonumber(ARGV[i + 2]) then fits = false end
end
if not fits then return values end
for _, key in ipairs(KEYS) do
  redis.call('INCRBY', key, n)
  redis.call('EXPIRE', key, ARGV[2])
end
return false
"""

REFUND = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    if redis.call('DECRBY', key, ARGV[1]) < 0 then redis.call('SET', key, 0, 'KEEPTTL') end
  end
end
return true
"""

TAKE = (
    _NOW_MS
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 'full' end
local owner = ARGV[3]
local limit = tonumber(ARGV[4])
if owner ~= '' and limit >= 0 then
  local mine = 0
  for _, o in ipairs(redis.call('HVALS', KEYS[2])) do
    if o == owner then mine = mine + 1 end
  end
  if mine >= limit then return 'owner' end
end
local lease = tonumber(ARGV[5])
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], owner)
redis.call('PEXPIRE', KEYS[1], 2 * lease)
redis.call('PEXPIRE', KEYS[2], 2 * lease)
return 'ok'
"""
)

RENEW = (
    _NOW_MS
    + """
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], 2 * lease)
redis.call('PEXPIRE', KEYS[2], 2 * lease)
return true
"""
)

DROP = """
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
"""

HELD = _NOW_MS + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')"


class RedisStore:
    def __init__(self, url: str, shown: str) -> None:
        """``shown`` is the URL without its password, for sentences."""
        self.shown = shown
        try:
            import redis
        except ImportError:
            raise SharedStateError(
                f"The shared state {shown} needs the redis package: "
                "pip install 'inpaint-studio[redis]' (or pip install redis)."
            ) from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        try:
            self._redis = redis.Redis.from_url(
                url, decode_responses=True, socket_connect_timeout=5, socket_timeout=10
            )
        except (ValueError, *self._errors) as exc:
            raise SharedStateError(f"The shared state URL {shown} is not valid ({exc}).") from None
        self._call(self._redis.ping)
        self._scripts = {
            name: self._redis.register_script(text)
            for name, text in (
                ("reserve", RESERVE),
                ("refund", REFUND),
                ("take", TAKE),
                ("renew", RENEW),
                ("drop", DROP),
                ("held", HELD),
            )
        }

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise SharedStateError(
                f"The shared state at {self.shown} could not be reached "
                f"({type(exc).__name__}: {exc})."
            ) from None

    def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return self._call(self._scripts[name], keys=list(keys), args=list(args))

    def reserve(
        self, keys: Sequence[str], limits: Sequence[int], n: int, expires: float, now: float
    ) -> list[int] | None:
        ttl = max(60, int(expires - now))
        found = self._run("reserve", [PREFIX + "count:" + k for k in keys], [n, ttl, *limits])
        return None if found is None else [int(v) for v in found]

    def refund(self, keys: Sequence[str], n: int) -> None:
        self._run("refund", [PREFIX + "count:" + k for k in keys], [n])

    def counts(self, keys: Sequence[str]) -> list[int]:
        if not keys:
            return []
        values = self._call(self._redis.mget, [PREFIX + "count:" + k for k in keys])
        return [int(v or 0) for v in values]

    @staticmethod
    def _pool_keys(pool: str) -> list[str]:
        return [f"{PREFIX}slots:{pool}", f"{PREFIX}slots:{pool}:owners"]

    def take(
        self,
        pool: str,
        size: int,
        hold_id: str,
        owner: str | None,
        owner_limit: int | None,
        lease: float,
    ) -> Taken:
        args = [
            size,
            hold_id,
            owner or "",
            -1 if owner_limit is None else owner_limit,
            int(lease * 1000),
        ]
        answer: Taken = self._run("take", self._pool_keys(pool), args)
        return answer

    def renew(self, pool: str, hold_ids: Sequence[str], lease: float) -> None:
        if hold_ids:
            self._run("renew", self._pool_keys(pool), [int(lease * 1000), *hold_ids])

    def drop(self, pool: str, hold_id: str) -> bool:
        return bool(self._run("drop", self._pool_keys(pool), [hold_id]))

    def held(self, pool: str) -> int:
        return int(self._run("held", self._pool_keys(pool)[:1], []))

    def put(self, key: str, value: str, ttl: float) -> None:
        self._call(self._redis.set, PREFIX + "record:" + key, value, ex=max(1, int(ttl)))

    def get(self, key: str) -> str | None:
        value = self._call(self._redis.get, PREFIX + "record:" + key)
        return None if value is None else str(value)

    def close(self) -> None:
        self._redis.close()
