"""The LSH candidate index, through datasketch's ``MinHashLSH``, in memory or in Redis.

The index only proposes candidates; :mod:`dedupe.grouping` verifies each one. It
holds article ids and the band buckets of their MinHash hash values (datasketch's
``affine32`` scheme, ``uint32``), plus each id's timestamp so that old ids can be
aged out.

What is stored where:

* ``url=None`` or ``"memory"``: datasketch's dict storage (one dict per band,
  bucket -> set of ids; one dict id -> the id's buckets) and a dict id ->
  timestamp. Gone when the process ends.
* ``url="redis://host:port/db[?basename=NAME]"``: datasketch's Redis storage,
  every key prefixed with a fixed *basename* (by default derived from the LSH
  settings, e.g. ``wiredupe-lsh-v1-p64-b8-r4-s1``, so an index made with other
  settings is never mixed in). Under basename ``B``, datasketch 2.0 writes a hash
  ``B_keys`` (id -> list key) with one list ``B_keys<id>`` of the id's buckets,
  and per band ``i`` a hash ``B_bucket_<i>`` (bucket -> set key) with one set
  ``B_bucket_<i><bucket>`` of ids. This module adds the sorted set ``B_ages``
  (id scored by its timestamp) and the hash ``B_meta`` (the settings the index
  was made with, checked on every open). The index outlives the process.

Ids are stored as ASCII decimal bytes (``b"1234"``), not as datasketch's default
pickles: the pickle of an int changes with the pickle protocol (Python 3.14 makes
protocol 5 the default), and a persistent index must find its own ids after an
upgrade.

Aging: each id carries the POSIX time of its article's matching window.
:meth:`CandidateIndex.remove_older_than` removes every id whose time is before
the given one, from the bands and from the ages. Timestamps are written before
the bands and deleted after them, so an interrupted write leaves at worst a
timestamp without bands (aged out later), never bands that would never age out.
One process at a time should write to a Redis index (the nightly flow); the
removal of a bucket that became empty is not atomic with other writers' inserts.

Round trips: datasketch queries one id at a time (a Redis round trip per band)
and removes one id at a time (two round trips, plus one per band).
:meth:`CandidateIndex.query_many` and :meth:`CandidateIndex.remove_many` instead
batch every id into one pipeline per band (inserts go through datasketch's
``insertion_session``, which already does), so a night's round trips do not grow
with its number of articles; and they compute the buckets of all rows at once
(:func:`band_keys`, the bytes datasketch's ``_H`` makes one row at a time). This
relies on datasketch 2.0 internals: ``MinHashLSH.hashranges``, ``hashtables``
and ``keys``, its bucket format, and the storages' ``insert``, ``getmany``,
``remove_val``, ``remove`` and ``empty_buffer`` (and ``_redis`` when closing).
``tests/dedupe/test_index.py`` checks the results against ``MinHashLSH.query``
and checks that a removal leaves no key behind, on both backends.

Example:
    >>> import numpy as np
    >>> values = np.arange(64, dtype=np.uint32)  # a signature's hash values
    >>> index = CandidateIndex(num_perm=64, params=(8, 4), seed=1)
    >>> index.insert_many([(7, values, 1_763_700_000.0)])
    >>> index.query_many([values])
    [{7}]
    >>> index.remove_older_than(1_763_700_001.0)
    [7]
"""

from __future__ import annotations

import math
import operator
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import redis
from datasketch import MinHashLSH
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from redis.typing import EncodableT, FieldT

from dedupe.errors import DedupeConfigError, DedupeError, SignatureFormatError
from dedupe.signature import SCHEME

__all__ = ["CandidateIndex", "IndexUnavailable", "band_keys"]

# Bump when what is stored under a basename changes (id encoding, scheme), so that a
# new version never reads an old index under the default basename.
_FORMAT = 1
_PREFIX = "wiredupe-lsh"
_URL_FORM = "'memory' or redis[s]://[[user]:password@]host[:port][/db][?basename=NAME]"
# Commands per pipeline before datasketch flushes an insertion buffer: its default,
# large enough that a night's inserts take a few round trips per band.
_BUFFER_SIZE = 50_000
# A host that does not answer fails the night within seconds, not minutes.
_CONNECT_TIMEOUT = 5.0
# A 50,000-command transaction on a busy server may take longer than redis-py's 5 s.
_SOCKET_TIMEOUT = 60.0
# A few quick retries ride out a restart or a dropped connection; a refused
# connection still fails in well under a second.
_RETRIES = 3
_RETRY_BASE = 0.05
_RETRY_CAP = 1.0

_HashValues = npt.NDArray[np.uint32]


class IndexUnavailable(DedupeError):
    """The Redis server of a :class:`CandidateIndex` cannot be reached.

    The message names the URL (without its password), the cause and the fix.
    """

    def __init__(self, url: str, cause: BaseException) -> None:
        self.url = url
        super().__init__(
            f"cannot reach the Redis LSH index at {url}: {cause}. Start Redis at that "
            "address or correct the index URL (use 'memory' for an in-memory index "
            "rebuilt from the stored signatures)"
        )


class CandidateIndex:
    """Finds stored articles whose MinHash may be similar to a query's.

    An id is a candidate of a query when, in at least one of the ``b`` bands,
    its ``r`` hash values equal the query's (datasketch ``MinHashLSH``).

    Args:
        num_perm: number of hash values of every signature given to the index.
        params: ``(b, r)``, the number of bands and rows per band;
            ``b >= 2`` and ``b * r <= num_perm``.
        seed: the MinHash seed of the signatures.
        url: ``None`` or ``"memory"`` for an in-memory index;
            ``"redis://host:port/db"`` for a persistent one, optionally with
            ``?basename=NAME`` instead of the name derived from the settings.
        signatures: a name for how the signatures were made (the signature
            scheme), put in the derived basename so that signatures made
            otherwise get an index of their own. (Under a chosen basename, the
            caller replaces re-signed articles: see ``flows.grouping``.)

    Raises:
        DedupeConfigError: a setting is out of range, the URL is malformed, or
            the Redis basename holds an index made with other settings.
        IndexUnavailable: Redis does not answer at ``url``.
    """

    def __init__(
        self,
        *,
        num_perm: int,
        params: tuple[int, int],
        seed: int,
        url: str | None = None,
        signatures: str | None = None,
    ) -> None:
        bands, rows = _check_settings(num_perm, params, seed)
        self._num_perm = num_perm
        self._seed = seed
        self._url = "memory"
        self._basename: bytes | None = None
        self._ledger: _Ledger
        storage: dict[str, Any] = {"type": "dict"}
        if url is None or url == "memory":
            self._ledger = _MemoryLedger()
        else:
            settings = {
                b"format": str(_FORMAT).encode(),
                b"scheme": SCHEME.encode(),
                b"num_perm": str(num_perm).encode(),
                b"bands": str(bands).encode(),
                b"rows": str(rows).encode(),
                b"seed": str(seed).encode(),
            }
            default = f"{_PREFIX}-v{_FORMAT}-p{num_perm}-b{bands}-r{rows}-s{seed}"
            if signatures:
                default += f"-{signatures}"
            target = _parse_redis_url(url, default.encode())
            self._url = target.display
            self._basename = target.basename
            client = redis.Redis(**target.client_kwargs)
            try:
                with self._reachable():
                    client.ping()
                    self._ledger = _RedisLedger(client, target, settings)
            except BaseException:
                client.close()
                raise
            storage = {
                "type": "redis",
                "basename": target.basename,
                "redis": dict(target.client_kwargs),
            }
        # prepickle=False: ids go in as ASCII bytes (see the module docstring).
        self._lsh = MinHashLSH(
            num_perm=num_perm, params=(bands, rows), storage_config=storage, prepickle=False
        )

    @property
    def persistent(self) -> bool:
        """True when the index lives in Redis and keeps its ids between processes."""
        return self._basename is not None

    @property
    def basename(self) -> bytes | None:
        """The Redis key prefix of the index; ``None`` in memory."""
        return self._basename

    def insert_many(self, items: Sequence[tuple[int, _HashValues, float]]) -> None:
        """Add articles to the index, replacing any id it already holds.

        Args:
            items: ``(article id, hash values, timestamp)``: ``num_perm`` ``uint32``
                hash values, and the POSIX seconds of the article's window time.
                When an id appears twice, its last item wins.

        Raises:
            SignatureFormatError: hash values of the wrong length or type.
            ValueError: a timestamp is not a finite number.
            IndexUnavailable: Redis stopped answering.
        """
        latest: dict[bytes, tuple[_HashValues, float]] = {}
        for article_id, values, timestamp in items:
            when = float(timestamp)
            if not math.isfinite(when):
                raise ValueError(f"article {article_id}: timestamp {timestamp!r} is not finite")
            latest[_encode(article_id)] = (values, when)
        if not latest:
            return
        keys = list(latest)
        matrix = self._matrix([values for values, _ in latest.values()])
        with self._reachable():
            self._remove_bands(keys)
            self._ledger.put({key: when for key, (_, when) in latest.items()})
            # What MinHashLSH.insert does per key (its buckets, then the key in each
            # band's table), with every key's buckets computed at once.
            bands = self._band_keys(matrix)
            with self._lsh.insertion_session(buffer_size=_BUFFER_SIZE):
                for key, key_buckets in zip(keys, zip(*bands, strict=True), strict=True):
                    self._lsh.keys.insert(key, *key_buckets, buffer=True)
                for table, band_buckets in zip(self._lsh.hashtables, bands, strict=True):
                    for key, bucket in zip(keys, band_buckets, strict=True):
                        table.insert(bucket, key, buffer=True)

    def query_many(self, values: Sequence[_HashValues]) -> list[set[int]]:
        """Return the candidate ids of each query, in order.

        Equivalent to ``MinHashLSH.query`` for each query, with one storage
        lookup (one Redis pipeline) per band for all of them.

        Args:
            values: each query's ``num_perm`` ``uint32`` hash values.

        Raises:
            SignatureFormatError: hash values of the wrong length or type.
            IndexUnavailable: Redis stopped answering.
        """
        matrix = self._matrix(values)
        found: list[set[bytes]] = [set() for _ in range(len(matrix))]
        with self._reachable():
            if self._lsh.is_empty():  # a first night, or an ingest into a new store
                return [set() for _ in found]
            for table, buckets in zip(self._lsh.hashtables, self._band_keys(matrix), strict=True):
                # Queries that share a bucket share its lookup.
                askers: dict[bytes, list[int]] = {}
                for i, bucket in enumerate(buckets):
                    askers.setdefault(bucket, []).append(i)
                if not askers:
                    continue
                buckets = list(askers)
                for bucket, members in zip(buckets, table.getmany(*buckets), strict=True):
                    if members:
                        for i in askers[bucket]:
                            found[i].update(members)
        return [{int(key) for key in keys} for keys in found]

    def remove_many(self, ids: Iterable[int]) -> None:
        """Remove ids from the index; ids it does not hold are ignored.

        Raises:
            IndexUnavailable: Redis stopped answering.
        """
        keys = list(dict.fromkeys(_encode(article_id) for article_id in ids))
        if not keys:
            return
        with self._reachable():
            self._remove_bands(keys)
            self._ledger.drop(keys)

    def remove_older_than(self, timestamp: float) -> list[int]:
        """Age out the ids whose timestamp is before ``timestamp`` (POSIX seconds).

        Returns:
            The ids removed, oldest first.

        Raises:
            IndexUnavailable: Redis stopped answering.
        """
        with self._reachable():
            old = self._ledger.older_than(float(timestamp))
            if old:
                self._remove_bands(old)
                self._ledger.drop(old)
        return [int(key) for key in old]

    def keys(self) -> set[int]:
        """Return the ids the index holds.

        Raises:
            IndexUnavailable: Redis stopped answering.
        """
        with self._reachable():
            return {int(key) for key in self._lsh.keys}  # datasketch's id storage

    def close(self) -> None:
        """Release the Redis connections (a no-op in memory); do not use the index after."""
        self._ledger.close()
        # datasketch gives each band's storage its own client and no way to close it.
        for storage in [self._lsh.keys, *self._lsh.hashtables]:
            client = getattr(storage, "_redis", None)
            if client is not None:
                client.close()

    def __enter__(self) -> CandidateIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _matrix(self, values: Sequence[_HashValues]) -> _HashValues:
        """Stack hash values into one ``(n, num_perm)`` array, checking each."""
        for i, row in enumerate(values):
            if not isinstance(row, np.ndarray) or row.dtype != np.uint32:
                kind = row.dtype if isinstance(row, np.ndarray) else type(row).__name__
                raise SignatureFormatError(
                    f"hash values #{i} are {kind}; the index takes numpy uint32 arrays "
                    f"(datasketch scheme {SCHEME!r}): pass Signature.index_values(config)"
                )
            if row.shape != (self._num_perm,):
                raise SignatureFormatError(
                    f"hash values #{i} have shape {row.shape} but the index has "
                    f"num_perm={self._num_perm}: sign with the index's num_perm or open "
                    "the index with the signatures' num_perm"
                )
        if not values:
            return np.empty((0, self._num_perm), dtype=np.uint32)
        return np.stack(values)

    def _band_keys(self, matrix: _HashValues) -> list[list[bytes]]:
        return band_keys(matrix, self._lsh.hashranges)

    def _remove_bands(self, keys: Sequence[bytes]) -> None:
        """Remove ``keys`` from datasketch's tables, a few round trips per band.

        Does what ``MinHashLSH.remove`` does for one key (take the key out of each
        of its buckets, drop the buckets left empty, drop the key), for all keys
        at once. datasketch's ``deletion_session`` still costs round trips per key
        and band, and in Redis leaves emptied buckets in the band's hash.
        """
        held = [
            (key, buckets)
            for key, buckets in zip(keys, self._lsh.keys.getmany(*keys), strict=True)
            if buckets
        ]
        if not held:
            return
        tables = self._lsh.hashtables
        touched: list[set[bytes]] = [set() for _ in tables]
        for key, buckets in held:
            # j % b: a key inserted twice without removal lists its buckets twice.
            for band, bucket in {(j % len(tables), b) for j, b in enumerate(buckets)}:
                tables[band].remove_val(bucket, key, buffer=True)
                touched[band].add(bucket)
        for table, band_buckets in zip(tables, touched, strict=True):
            if not band_buckets:
                continue
            table.empty_buffer()
            candidates = list(band_buckets)
            emptied = [
                bucket
                for bucket, members in zip(candidates, table.getmany(*candidates), strict=True)
                if not members
            ]
            if emptied:
                table.remove(*emptied, buffer=True)
                table.empty_buffer()
        self._lsh.keys.remove(*(key for key, _ in held), buffer=True)
        self._lsh.keys.empty_buffer()

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """Turn redis-py's connection errors into :class:`IndexUnavailable`."""
        try:
            yield
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as err:
            raise IndexUnavailable(self._url, err) from err


def band_keys(matrix: _HashValues, hashranges: Sequence[tuple[int, int]]) -> list[list[bytes]]:
    """Return, band by band, the LSH bucket of each row of ``matrix``.

    A bucket is what datasketch's ``MinHashLSH`` computes for one minhash and
    band (the band's hash values byte-swapped, as bytes: ``_H``), here for all
    rows at once.

    Args:
        matrix: ``(n, num_perm)`` ``uint32`` hash values, one row per signature.
        hashranges: each band's ``(start, end)`` (``MinHashLSH.hashranges``).
    """
    keys: list[list[bytes]] = []
    for start, end in hashranges:
        band = np.ascontiguousarray(matrix[:, start:end]).byteswap()
        # One void item per row: its tolist() gives each row's bytes.
        rows = band.view(np.dtype((np.void, band.strides[0]))).ravel()
        keys.append(cast(list[bytes], rows.tolist()))
    return keys


@dataclass(frozen=True)
class _RedisTarget:
    """A parsed Redis URL: client arguments, basename, and the URL without password."""

    client_kwargs: dict[str, Any]
    basename: bytes
    display: str


class _Ledger(ABC):
    """What the index keeps beside datasketch's tables: each id's timestamp."""

    @abstractmethod
    def put(self, ages: dict[bytes, float]) -> None:
        """Record (or replace) the timestamps of ``ages``' keys."""

    @abstractmethod
    def drop(self, keys: Sequence[bytes]) -> None:
        """Forget the timestamps of ``keys``."""

    @abstractmethod
    def older_than(self, timestamp: float) -> list[bytes]:
        """Return the keys whose timestamp is before ``timestamp``, oldest first."""

    def close(self) -> None:  # noqa: B027 - only the Redis ledger holds anything open
        """Release what the ledger holds open."""


class _MemoryLedger(_Ledger):
    """Timestamps in a dict."""

    def __init__(self) -> None:
        self._ages: dict[bytes, float] = {}

    def put(self, ages: dict[bytes, float]) -> None:
        self._ages.update(ages)

    def drop(self, keys: Sequence[bytes]) -> None:
        for key in keys:
            self._ages.pop(key, None)

    def older_than(self, timestamp: float) -> list[bytes]:
        old = [(when, key) for key, when in self._ages.items() if when < timestamp]
        return [key for _, key in sorted(old)]


class _RedisLedger(_Ledger):
    """Timestamps in the sorted set ``<basename>_ages``; settings in ``<basename>_meta``.

    Raises:
        DedupeConfigError: ``<basename>_meta`` holds other settings.
    """

    _CHUNK = 10_000  # members per ZADD/ZREM command, to keep each command small.

    def __init__(
        self, client: redis.Redis, target: _RedisTarget, settings: dict[bytes, bytes]
    ) -> None:
        self._client = client
        self._ages_key = target.basename + b"_ages"
        self._meta_key = target.basename + b"_meta"
        self._settings = settings
        stored = client.hgetall(self._meta_key)
        if stored and stored != settings:
            raise DedupeConfigError(
                "index url",
                target.display,
                f"a basename free or holding an index made with {_describe(settings)}; "
                f"{target.basename.decode(errors='replace')!r} holds one made with "
                f"{_describe(stored)}: choose another ?basename= or the settings it was made with",
            )

    def put(self, ages: dict[bytes, float]) -> None:
        pipe = self._client.pipeline(transaction=False)
        meta: dict[FieldT, EncodableT] = {key: value for key, value in self._settings.items()}
        pipe.hset(self._meta_key, mapping=meta)
        items = list(ages.items())
        for start in range(0, len(items), self._CHUNK):
            pipe.zadd(self._ages_key, dict(items[start : start + self._CHUNK]))
        pipe.execute()

    def drop(self, keys: Sequence[bytes]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for start in range(0, len(keys), self._CHUNK):
            pipe.zrem(self._ages_key, *keys[start : start + self._CHUNK])
        pipe.execute()

    def older_than(self, timestamp: float) -> list[bytes]:
        # "(" makes the bound exclusive: an id exactly at ``timestamp`` stays.
        old = self._client.zrangebyscore(self._ages_key, "-inf", f"({timestamp!r}")
        return cast(list[bytes], old)

    def close(self) -> None:
        self._client.close()


def _check_settings(num_perm: int, params: tuple[int, int], seed: int) -> tuple[int, int]:
    """Check the LSH settings and return ``(bands, rows)``."""
    if _as_int(num_perm, -1) < 2:
        raise DedupeConfigError("num_perm", num_perm, "an int >= 2")
    if _as_int(seed, -1) < 0:
        raise DedupeConfigError("seed", seed, "an int >= 0")
    try:
        bands, rows = (_as_int(p, 0) for p in params)
    except (TypeError, ValueError):  # not a pair
        bands, rows = 0, 0
    if bands < 2 or rows < 1 or bands * rows > num_perm:
        raise DedupeConfigError(
            "params",
            params,
            f"(bands, rows) with bands >= 2, rows >= 1 and bands * rows <= num_perm ({num_perm})",
        )
    return bands, rows


def _as_int(value: Any, otherwise: int) -> int:
    """Return ``value`` as an int (numpy ints too), or ``otherwise`` for non-ints."""
    if isinstance(value, bool):
        return otherwise
    try:
        return operator.index(value)
    except TypeError:
        return otherwise


def _parse_redis_url(url: str, default_basename: bytes) -> _RedisTarget:
    """Parse ``redis://[user:password@]host[:port][/db][?basename=NAME]``."""
    parts = urllib.parse.urlsplit(url)
    display = _redact(parts)
    if parts.scheme not in ("redis", "rediss"):
        raise DedupeConfigError("index url", display, _URL_FORM)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"basename"})
    names = query.get("basename", [])
    path = parts.path.strip("/") or "0"
    try:
        port = parts.port or 6379
    except ValueError:
        port = -1
    if unknown or len(names) > 1 or names == [""] or not path.isdigit() or port < 0:
        raise DedupeConfigError("index url", display, _URL_FORM)
    kwargs: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": port,
        "db": int(path),
        "ssl": parts.scheme == "rediss",
        "socket_connect_timeout": _CONNECT_TIMEOUT,
        "socket_timeout": _SOCKET_TIMEOUT,
        "retry": Retry(ExponentialWithJitterBackoff(base=_RETRY_BASE, cap=_RETRY_CAP), _RETRIES),
    }
    if parts.username:
        kwargs["username"] = urllib.parse.unquote(parts.username)
    if parts.password:
        kwargs["password"] = urllib.parse.unquote(parts.password)
    basename = names[0].encode() if names else default_basename
    return _RedisTarget(client_kwargs=kwargs, basename=basename, display=display)


def _redact(parts: urllib.parse.SplitResult) -> str:
    """Return the URL with its password replaced by ``***``."""
    if parts.password is None:
        return urllib.parse.urlunsplit(parts)
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _describe(settings: Mapping[Any, Any]) -> str:
    return ", ".join(f"{k.decode()}={v.decode()}" for k, v in sorted(settings.items()))


def _encode(article_id: int) -> bytes:
    """Return the stored form of an id: ASCII decimal (numpy ints are accepted)."""
    return str(operator.index(article_id)).encode("ascii")
