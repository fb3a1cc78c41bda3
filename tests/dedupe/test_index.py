"""CandidateIndex on both backends; the Redis ones need WIREDUPE_TEST_REDIS_URL."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import redis
from datasketch import LeanMinHash, MinHash, MinHashLSH

from dedupe import DedupeConfigError, SignatureFormatError
from dedupe.index import CandidateIndex, IndexUnavailable
from tests.conftest import REDIS_URL

NUM_PERM = 64
PARAMS = (8, 4)
SEED = 1
T0 = 1_763_700_000.0  # 2025-11-21, POSIX seconds

# --- a small corpus with known copies -------------------------------------------------

_rng = random.Random(20251121)
_VOCAB = [f"w{i}" for i in range(5000)]


def _words(n: int) -> list[str]:
    return [_rng.choice(_VOCAB) for _ in range(n)]


def _edit(words: list[str], share: float) -> list[str]:
    """A copy: replace ``share`` of the words and cut the last tenth."""
    copy = [_rng.choice(_VOCAB) if _rng.random() < share else w for w in words]
    return copy[: int(len(copy) * 0.9)]


def _values(words: list[str]) -> np.ndarray:
    shingles = {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")
    minhash.update_batch(sorted(shingles))
    return minhash.hashvalues.astype(np.uint32)


STORIES = [_words(300) for _ in range(20)]
ORIGINALS = {100 + i: _values(words) for i, words in enumerate(STORIES)}
# Each story's copy (2% of words edited, cut): its original is its candidate.
COPIES = {100 + i: _values(_edit(words, 0.02)) for i, words in enumerate(STORIES)}
UNRELATED = {500 + i: _values(_words(300)) for i in range(20)}
EVERYTHING = {**ORIGINALS, **UNRELATED}


def _items(values: dict[int, np.ndarray], at: float = T0) -> list[tuple[int, np.ndarray, float]]:
    return [(key, vals, at) for key, vals in values.items()]


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def index(request: pytest.FixtureRequest) -> Iterator[CandidateIndex]:
    """An empty index on each backend."""
    url = "memory"
    if request.param == "redis":
        url = request.getfixturevalue("new_redis_url")()
    with CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url) as opened:
        yield opened


def _stored_keys(client: redis.Redis, basename: bytes) -> set[bytes]:
    return set(client.scan_iter(match=basename + b"*", count=1000))


# --- both backends --------------------------------------------------------------------


def test_copies_find_their_original_and_unrelated_texts_find_nothing(
    index: CandidateIndex,
) -> None:
    index.insert_many(_items(EVERYTHING))
    assert index.keys() == set(EVERYTHING)
    found = index.query_many(list(COPIES.values()))
    for key, candidates in zip(COPIES, found, strict=True):
        assert key in candidates, f"the copy of story {key} did not find its original"
        assert candidates <= set(ORIGINALS), f"story {key}'s copy matched unrelated texts"
    fresh = [_values(_words(300)) for _ in range(10)]
    assert index.query_many(fresh) == [set()] * 10


def test_query_many_equals_datasketch_query_per_item(index: CandidateIndex) -> None:
    # insert_many and query_many compute band buckets themselves, for all rows at
    # once, and use MinHashLSH's tables (hashranges, keys, hashtables): datasketch's
    # own query must find what insert_many put in, and agree with query_many. A
    # datasketch upgrade that changes its buckets must fail here.
    index.insert_many(_items(EVERYTHING))
    queries = [*EVERYTHING.values(), *COPIES.values()]
    leans = [LeanMinHash(seed=SEED, hashvalues=v, scheme="affine32") for v in queries]
    if index.persistent:
        # datasketch's own query, on the same Redis keys, ids as ASCII bytes.
        assert REDIS_URL
        reference = MinHashLSH(
            num_perm=NUM_PERM,
            params=PARAMS,
            prepickle=False,
            storage_config={
                "type": "redis",
                "basename": index.basename,
                "redis": redis.connection.parse_url(REDIS_URL),
            },
        )
        expected = [{int(k) for k in reference.query(lean)} for lean in leans]
    else:
        reference = MinHashLSH(num_perm=NUM_PERM, params=PARAMS)
        for key, values in EVERYTHING.items():
            reference.insert(key, LeanMinHash(seed=SEED, hashvalues=values, scheme="affine32"))
        expected = [set(reference.query(lean)) for lean in leans]
        own = index._lsh  # the memory index's MinHashLSH, queried the datasketch way
        assert [{int(k) for k in own.query(lean)} for lean in leans] == expected
    assert index.query_many(queries) == expected
    assert sum(len(c) for c in expected) > len(EVERYTHING), "copies should add candidates"


def test_remove_older_than_ages_out_exactly_the_older_ids(index: CandidateIndex) -> None:
    ids = sorted(ORIGINALS)
    index.insert_many([(key, ORIGINALS[key], T0 + 3600 * i) for i, key in enumerate(ids)])
    cut = T0 + 3600 * 5  # ids[0..4] are older; ids[5] is exactly at the cut and stays
    assert index.remove_older_than(cut) == ids[:5]
    assert index.keys() == set(ids[5:])
    found = index.query_many([COPIES[key] for key in ids])
    assert all(key not in c for key, c in zip(ids[:5], found, strict=False))
    assert all(key in c for key, c in zip(ids[5:], found[5:], strict=True))
    assert index.remove_older_than(cut) == []


def test_insert_replaces_an_id_already_held(index: CandidateIndex) -> None:
    story, other = ORIGINALS[100], UNRELATED[500]
    index.insert_many([(1, story, T0)])
    index.insert_many([(1, other, T0 + 10)])
    assert index.keys() == {1}
    assert index.query_many([story, other]) == [set(), {1}]
    assert index.remove_older_than(T0 + 5) == []  # the new timestamp replaced the old
    # Within one call, the last item of an id wins.
    index.insert_many([(2, story, T0), (2, other, T0)])
    assert index.query_many([story, other]) == [set(), {1, 2}]


def test_remove_many_removes_from_candidates_and_keys(index: CandidateIndex) -> None:
    index.insert_many(_items(EVERYTHING))
    gone = [100, 101, 500, 99_999]  # 99_999 was never inserted: ignored
    index.remove_many(gone)
    assert index.keys() == set(EVERYTHING) - set(gone)
    found = index.query_many([ORIGINALS[100], ORIGINALS[101], ORIGINALS[102]])
    assert found == [set(), set(), {102}]
    index.remove_many(index.keys())
    assert index.keys() == set()
    assert index.query_many(list(EVERYTHING.values())) == [set()] * len(EVERYTHING)


def test_empty_calls(index: CandidateIndex) -> None:
    index.insert_many([])
    index.remove_many([])
    assert index.query_many([]) == []
    assert index.remove_older_than(T0) == []
    assert index.keys() == set()


def test_numpy_and_large_ids_come_back_as_ints(index: CandidateIndex) -> None:
    big = 2**40 + 7
    index.insert_many([(np.int64(big), ORIGINALS[100], T0), (np.int32(3), ORIGINALS[101], T0)])
    held = index.keys()
    assert held == {big, 3}
    assert all(type(key) is int for key in held)
    (found,) = index.query_many([ORIGINALS[100]])
    assert found == {big} and type(next(iter(found))) is int
    assert sorted(index.remove_older_than(T0 + 1)) == [3, big]
    assert index.keys() == set()


def test_hash_values_of_the_wrong_shape_or_type_are_refused(index: CandidateIndex) -> None:
    with pytest.raises(SignatureFormatError, match="num_perm=64"):
        index.query_many([np.zeros(128, dtype=np.uint32)])
    with pytest.raises(SignatureFormatError, match="uint32"):
        index.insert_many([(1, np.zeros(NUM_PERM, dtype=np.uint64), T0)])
    with pytest.raises(ValueError, match="not finite"):
        index.insert_many([(1, ORIGINALS[100], float("nan"))])
    assert index.keys() == set()


# --- settings and URLs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_perm", "params"),
    [(64, (1, 4)), (64, (8, 9)), (64, (8, 0)), (1, (2, 1)), (64, (8, 4, 1))],
)
def test_bad_settings_are_refused(num_perm: int, params: tuple[int, int]) -> None:
    with pytest.raises(DedupeConfigError):
        CandidateIndex(num_perm=num_perm, params=params, seed=SEED)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/zero",
        "redis://127.0.0.1:6379/0?basenme=typo",
        "redis://127.0.0.1:6379/0?basename=",
        "redis://127.0.0.1:port/0",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(DedupeConfigError, match=r"expected .memory. or redis\[s\]://"):
        CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url)


def test_unreachable_redis_raises_quickly_naming_the_url() -> None:
    url = "redis://127.0.0.1:1/0"
    start = time.monotonic()
    with pytest.raises(IndexUnavailable, match=r"redis://127\.0\.0\.1:1/0") as caught:
        CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url)
    assert time.monotonic() - start < 3.0, "an unreachable Redis should fail within seconds"
    assert "Start Redis" in str(caught.value)
    with pytest.raises(IndexUnavailable) as caught:
        CandidateIndex(
            num_perm=NUM_PERM, params=PARAMS, seed=SEED, url="redis://:s3cret@127.0.0.1:1"
        )
    assert "s3cret" not in str(caught.value) and ":***@127.0.0.1:1" in str(caught.value)


def test_memory_index_is_not_persistent() -> None:
    for url in (None, "memory"):
        index = CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url)
        assert not index.persistent and index.basename is None


# --- Redis only -----------------------------------------------------------------------


@pytest.mark.redis
def test_redis_and_memory_give_the_same_results(new_redis_url: Callable[[], str]) -> None:
    memory = CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED)
    with CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=new_redis_url()) as red:
        queries = [*EVERYTHING.values(), *COPIES.values()]
        for index in (memory, red):
            index.insert_many(_items(EVERYTHING))
        assert red.query_many(queries) == memory.query_many(queries)
        for index in (memory, red):
            index.remove_many([100, 103, 510])
        assert red.keys() == memory.keys()
        assert red.query_many(queries) == memory.query_many(queries)


@pytest.mark.redis
def test_redis_index_persists_across_instances(new_redis_url: Callable[[], str]) -> None:
    url = new_redis_url()
    queries = list(COPIES.values())
    with CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url) as first:
        assert first.persistent
        first.insert_many(_items(EVERYTHING))
        before = first.query_many(queries)
    with CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url) as second:
        assert second.keys() == set(EVERYTHING)
        assert second.query_many(queries) == before
        # The ages persisted too.
        assert second.remove_older_than(T0 + 1) == sorted(EVERYTHING)


@pytest.mark.redis
def test_another_basename_is_another_index(new_redis_url: Callable[[], str]) -> None:
    with (
        CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=new_redis_url()) as a,
        CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=new_redis_url()) as b,
    ):
        a.insert_many(_items(ORIGINALS))
        assert b.keys() == set()
        assert b.query_many(list(ORIGINALS.values())) == [set()] * len(ORIGINALS)


@pytest.mark.redis
def test_default_basename_is_derived_from_the_settings(redis_client: redis.Redis) -> None:
    assert REDIS_URL
    # Opening writes nothing, so the default basename can be checked on a shared server.
    with CandidateIndex(num_perm=64, params=(8, 4), seed=1, url=REDIS_URL) as index:
        assert index.basename == b"wiredupe-lsh-v1-p64-b8-r4-s1"
    with CandidateIndex(num_perm=256, params=(51, 2), seed=1, url=REDIS_URL) as index:
        assert index.basename == b"wiredupe-lsh-v1-p256-b51-r2-s1"
    # Signatures made another way (another scheme) get an index of their own.
    with CandidateIndex(
        num_perm=64, params=(8, 4), seed=1, url=REDIS_URL, signatures="v3-w3-p128-s1"
    ) as index:
        assert index.basename == b"wiredupe-lsh-v1-p64-b8-r4-s1-v3-w3-p128-s1"


@pytest.mark.redis
def test_a_basename_made_with_other_settings_is_refused(
    new_redis_url: Callable[[], str],
) -> None:
    url = new_redis_url()
    with CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=url) as index:
        index.insert_many(_items(ORIGINALS))
    with pytest.raises(DedupeConfigError, match="bands=8"):
        CandidateIndex(num_perm=NUM_PERM, params=(16, 4), seed=SEED, url=url)
    with pytest.raises(DedupeConfigError, match="seed=1"):
        CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=2, url=url)


@pytest.mark.redis
def test_removal_leaves_no_redis_keys_behind(
    new_redis_url: Callable[[], str], redis_client: redis.Redis
) -> None:
    # datasketch's own removal leaves emptied buckets in each band's hash; a nightly
    # aged index would grow without bound.
    with CandidateIndex(num_perm=NUM_PERM, params=PARAMS, seed=SEED, url=new_redis_url()) as index:
        assert index.basename is not None
        index.insert_many(_items(EVERYTHING))
        index.insert_many(_items(COPIES))  # replaces the originals' ids
        index.remove_many(list(EVERYTHING)[:10])
        index.remove_older_than(T0 + 1)
        assert index.keys() == set()
        assert _stored_keys(redis_client, index.basename) == {index.basename + b"_meta"}
