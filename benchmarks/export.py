"""What ``wiredupe export`` costs in each format, and that its memory does not grow with the store.

Two SQLite stores are filled by ``wiredupe ingest`` from the scale corpus of
``benchmarks/syndication.py`` (``benchmarks/queries.py``'s ``fill``): ``--small``
and ``--large`` articles. Each is exported to a file as JSON lines (the
baseline), CSV and Parquet, each a few times, in a child process pinned to one
core (``benchmarks/throughput.py``'s ``measure``): the median wall time, the
median peak resident memory of the process, and the file's size. Memory that
stays flat from the small store to the large one is what lets a store of a
million articles export on a small machine.

Run from the repository root::

    .venv/bin/python benchmarks/export.py [--small 10000] [--large 100000] [--repeat 3]
        [--store-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.queries import fill  # noqa: E402
from benchmarks.throughput import WIREDUPE, Measure, measure  # noqa: E402

FORMATS = ("jsonl", "csv", "parquet")


def export(url: str, fmt: str, out: Path, repeat: int) -> tuple[Measure, int]:
    """The median time and peak memory of ``repeat`` exports; the file's size in bytes."""
    runs = [
        measure([WIREDUPE, "export", "--db", url, "--format", fmt, "--output", str(out)])
        for _ in range(repeat)
    ]
    median = Measure(
        statistics.median(m.seconds for m in runs), statistics.median(m.peak_mb for m in runs)
    )
    return median, out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--store-dir",
        type=Path,
        help="keep the stores here and reuse them on the next run (default: a temporary folder)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiredupe-export-") as tmp:
        folder = args.store_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results: dict[int, dict[str, tuple[Measure, int]]] = {}
        for n in (args.small, args.large):
            store = folder / f"store-{n}.db"
            url = f"sqlite:///{store}" if store.exists() else fill(folder, n)
            results[n] = {
                fmt: export(url, fmt, Path(tmp) / f"articles-{n}.{fmt}", args.repeat)
                for fmt in FORMATS
            }
    print(
        f"wiredupe export to a file, one core, median of {args.repeat}; "
        "baseline: JSON lines of the same store"
    )
    for n, by_format in results.items():
        base, base_size = by_format["jsonl"]
        for fmt, (m, size) in by_format.items():
            print(
                f"{n:>9,} articles  {fmt:<7}  {m.seconds:6.1f} s ({m.seconds / base.seconds:4.2f}x)"
                f"  {n / m.seconds:8,.0f} articles/s  peak {m.peak_mb:5.0f} MB"
                f"  file {size / 1e6:7.1f} MB ({size / base_size:4.2f}x)"
            )
    small, large = results[args.small], results[args.large]
    for fmt in FORMATS:
        print(
            f"peak memory, {fmt}: {large[fmt][0].peak_mb:.0f} MB at {args.large:,} articles, "
            f"{small[fmt][0].peak_mb:.0f} MB at {args.small:,} "
            f"({large[fmt][0].peak_mb / small[fmt][0].peak_mb:.2f}x for "
            f"{args.large / args.small:.0f}x the articles)"
        )


if __name__ == "__main__":
    main()
