"""The labelled template set: committed files match their generator; learning meets floors.

If the first test fails after editing ``tests/fixtures/template_pages/build.py`` (or
the real pages it reads), re-run ``.venv/bin/python tests/fixtures/template_pages/build.py``.
"""

import gzip
import json
from pathlib import Path

import pytest

from extract import Article, extract_warc
from extract.scoring import score_page, summarize
from tests.extract.test_extract_warc import ours, record_bytes
from tests.fixtures.template_pages.build import HERE, TEMPLATES, build

FLOORS = Path(__file__).with_name("template_floors.json")


def _committed() -> dict[str, bytes]:
    files = {}
    for path in sorted((HERE / "pages").rglob("*.html.gz")):
        files[str(path.relative_to(HERE)).removesuffix(".gz")] = gzip.decompress(path.read_bytes())
    files["truth.jsonl"] = (HERE / "truth.jsonl").read_bytes()
    return files


def test_committed_files_match_the_generator():
    generated = dict(build())
    committed = _committed()
    assert sorted(committed) == sorted(generated), (
        "tests/fixtures/template_pages holds other files than build.py makes; re-run it"
    )
    stale = [name for name, content in generated.items() if committed[name] != content]
    assert not stale, f"{stale[:5]} differ from build.py's output; re-run it"


def _rows() -> list[dict]:
    return [json.loads(line) for line in (HERE / "truth.jsonl").read_text().splitlines()]


def test_each_template_is_one_source_of_several_pages():
    rows = _rows()
    per_source: dict[str, set[str]] = {}
    for row in rows:
        per_source.setdefault(row["source"], set()).add(row["article"])
    assert len(per_source) == len(TEMPLATES) >= 10
    assert all(len(articles) >= 8 for articles in per_source.values()), (
        "each template needs several pages, each with a different article"
    )
    assert all(row["article"] != row["template"] for row in rows)


# Two English and one German template: a related list and comments after the
# article, inline lines, a template whose original leaked most.
FLOOR_SOURCES = ("DailyMail", "TimesLive", "Tagesspiegel")


@pytest.fixture(scope="module")
def floor_scores(tmp_path_factory):
    rows = [row for row in _rows() if row["source"] in FLOOR_SOURCES]
    path = tmp_path_factory.mktemp("night") / "night.warc.gz"
    path.write_bytes(
        b"".join(
            record_bytes(
                row["url"],
                gzip.decompress((HERE / row["file"]).read_bytes()),
                wiredupe={**ours("article"), "WARC-Wiredupe-Source": row["source"]},
            )
            for row in rows
        )
    )
    outcomes = list(extract_warc(path))
    return {
        row["file"]: score_page(o.text if isinstance(o, Article) else "", row["text"])
        for row, o in zip(rows, outcomes, strict=True)
    }


def test_learning_on_template_pages_meets_floors(floor_scores):
    floors = json.loads(FLOORS.read_text())
    summary = summarize(floor_scores.values())
    measured = {
        "precision": summary.precision,
        "recall": summary.recall,
        "f1": summary.f1,
        "max_leak_share": summary.leak_share,
    }
    worst = sorted(floor_scores.items(), key=lambda item: item[1].precision + item[1].recall)
    detail = "\n".join(f"  P {s.precision:.3f} R {s.recall:.3f}  {name}" for name, s in worst[:4])
    for key, floor in floors.items():
        if key.startswith("_"):
            continue
        ok = measured[key] <= floor if key.startswith("max_") else measured[key] >= floor
        assert ok, (
            f"extract_warc {key} on the template pages of {FLOOR_SOURCES} is "
            f"{measured[key]:.4f}, beyond the floor {floor} of {FLOORS.name}. Worst pages:\n"
            f"{detail}\nCheck extract/boilerplate.py and extract/settings.py with "
            "`.venv/bin/python benchmarks/extraction.py --per-page`."
        )
