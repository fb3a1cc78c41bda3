"""Grouping throughput: ``wiredupe ingest`` of extracted articles, against plain datasketch.

Two measurements, each run in child processes pinned to one core (``taskset``
semantics through ``os.sched_setaffinity``), with wall time and peak memory (the
child's maximum resident set size) taken by the parent:

1. **Ingest**: ``--articles`` synthetic wire articles (``benchmarks/syndication.py``'s
   scale corpus: about three copies per story, spread over 30 days) as JSON lines,
   through ``wiredupe ingest`` into a fresh SQLite database: parsing, storage,
   signatures, LSH, verification, groups, origins and each copy's changes.
2. **Night**: a store whose window already holds ``--window`` grouped articles,
   then a night of ``--night`` new ones, with the in-memory index (rebuilt from
   the stored signatures) and, when ``--redis`` is given, the Redis index (kept
   between nights: the window is put in it once, before the timed night).

The baseline, in the same run on the same articles: plain datasketch, as a
tutorial would write it: word 5-shingles of the raw text, ``MinHash.bulk`` with
128 permutations, ``MinHashLSH`` at threshold 0.8, connected components of the
candidates; nothing stored. For the night, the baseline builds its LSH from the
window's texts and queries the night's.

Run from the repository root::

    .venv/bin/python benchmarks/throughput.py [--articles 100000] [--window 300000]
        [--night 10000] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WIREDUPE = str(ROOT / ".venv" / "bin" / "wiredupe")


@dataclass(frozen=True)
class Measure:
    """One child process: wall seconds and peak resident memory."""

    seconds: float
    peak_mb: float

    def rate(self, n: int) -> str:
        """The measure as a rate over ``n`` articles, with time and memory."""
        return (
            f"{n / self.seconds:,.0f} articles/s, {self.seconds:.1f} s, peak {self.peak_mb:,.0f} MB"
        )


def _pin_to_one_core() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def measure(args: list[str], env: dict[str, str] | None = None) -> Measure:
    """Run ``args`` on one core; return its wall time and peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        preexec_fn=_pin_to_one_core,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out}\n{err}")
    return Measure(seconds, usage.ru_maxrss / 1024)


def write_corpus(path: Path, n: int, seed: int, start: datetime, days: int) -> None:
    """Write ``n`` scale-corpus articles, published over ``days`` days from ``start``.

    Each corpus gets its own URLs (the seed is put in the host name), so that the
    window's and the night's articles are different articles.
    """
    sys.path.insert(0, str(ROOT))
    from benchmarks.syndication import scale_corpus, write_jsonl

    shift = start - datetime(2025, 1, 1, tzinfo=UTC)

    def moved(record: dict[str, Any]) -> dict[str, Any]:
        if record.get("published"):
            when = datetime.fromisoformat(record["published"].replace("Z", "+00:00"))
            record["published"] = (when + shift).isoformat()
        record["url"] = record["url"].replace("://", f"://c{seed}.", 1)
        return record

    write_jsonl(map(moved, scale_corpus(n, seed=seed, days=days)), path)


def _texts(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)["text"]


def baseline(window: Path | None, night: Path) -> None:
    """Plain datasketch (run as ``throughput.py --baseline``): shingle, MinHash, LSH, components."""
    from datasketch import MinHash, MinHashLSH

    def shingles(text: str) -> list[bytes]:
        words = re.findall(r"\w+", text.lower())
        return [" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))]

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    n = 0
    if window is not None:
        for texts in _chunks(_texts(window), 2000):
            for m in MinHash.bulk([shingles(t) for t in texts], num_perm=128):
                lsh.insert(n, m, check_duplication=False)
                n += 1
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for texts in _chunks(_texts(night), 2000):
        for m in MinHash.bulk([shingles(t) for t in texts], num_perm=128):
            for other in lsh.query(m):
                parent[find(n)] = find(other)
            lsh.insert(n, m, check_duplication=False)
            n += 1
    groups = len({find(i) for i in range(n)})
    print(json.dumps({"articles": n, "groups": groups}))


def _chunks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    # Kept here rather than importing flows.stages._batches: the baseline's process
    # must load only datasketch, or its peak memory would include wiredupe's imports.
    while chunk := list(islice(items, size)):
        yield chunk


def _ingest(db: str, path: Path, lsh: str | None = None) -> Measure:
    args = [WIREDUPE, "ingest", str(path), "--db", db]
    if lsh:
        args += ["--lsh", lsh]
    return measure(args)


def _baseline(window: Path | None, night: Path) -> Measure:
    args = [sys.executable, __file__, "--baseline", str(night)]
    if window is not None:
        args += ["--baseline-window", str(window)]
    return measure(args)


def _drop_index(url: str) -> None:
    """Delete the benchmark's Redis index (every key under its basename)."""
    import redis

    from dedupe import DedupeConfig
    from flows.grouping import open_index

    with open_index(DedupeConfig(), url) as index:
        basename = (index.basename or b"").decode()
    client = redis.Redis.from_url(url.split("?")[0])
    for key in client.scan_iter(match=f"{basename}*", count=10_000):
        client.unlink(key)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=300_000)
    parser.add_argument("--night", type=int, default=10_000)
    parser.add_argument(
        "--redis",
        help="also time the night with this Redis index URL (its keys are deleted afterwards)",
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-night", action="store_true")
    parser.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline-window", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        baseline(args.baseline_window, args.baseline)
        return

    print(
        f"one core: {min(os.sched_getaffinity(0))}; datasketch baseline: word 5-shingles, "
        "128 permutations, LSH threshold 0.8, connected components, no storage"
    )
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory(prefix="wiredupe-throughput-") as tmp:
        folder = Path(tmp)
        if not args.skip_ingest:
            corpus = folder / "ingest.jsonl"
            t = time.perf_counter()
            write_corpus(corpus, args.articles, seed=1, start=start, days=30)
            print(f"corpus: {args.articles:,} articles written in {time.perf_counter() - t:.0f} s")
            ours = _ingest(f"sqlite:///{folder / 'ingest.db'}", corpus)
            base = _baseline(None, corpus)
            print(f"ingest {args.articles:,}: wiredupe {ours.rate(args.articles)}")
            print(f"ingest {args.articles:,}: baseline {base.rate(args.articles)}")
            print(f"ingest ratio (wiredupe / baseline time): {ours.seconds / base.seconds:.2f}")
        if not args.skip_night:
            window = folder / "window.jsonl"
            night = folder / "night.jsonl"
            # The window: 29 days of older articles; the night: the day after.
            write_corpus(window, args.window, seed=2, start=start, days=29)
            write_corpus(night, args.night, seed=3, start=start + timedelta(days=29), days=1)
            db = f"sqlite:///{folder / 'night.db'}"
            filled = _ingest(db, window, args.redis)
            print(
                f"window: {args.window:,} articles stored and grouped in {filled.seconds:.0f} s "
                f"(peak {filled.peak_mb:,.0f} MB)"
            )
            backup = folder / "night-backup.db"
            backup.write_bytes((folder / "night.db").read_bytes())
            ours = _ingest(db, night)
            print(
                f"night {args.night:,} vs window {args.window:,}: wiredupe, memory index: "
                f"{ours.rate(args.night)}"
            )
            if args.redis:
                (folder / "night.db").write_bytes(backup.read_bytes())
                redis = _ingest(db, night, args.redis)
                print(
                    f"night {args.night:,} vs window {args.window:,}: wiredupe, Redis index: "
                    f"{redis.rate(args.night)}"
                )
                _drop_index(args.redis)
            base = _baseline(window, night)
            print(
                f"night {args.night:,} vs window {args.window:,}: baseline (LSH of the window "
                f"built, then the night queried): {base.rate(args.night)}"
            )


if __name__ == "__main__":
    main()
