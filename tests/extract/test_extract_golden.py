"""Golden tests: extract_article on a fixed sample of labelled real pages, against floors."""

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extract import NoArticleText, extract_article
from extract.scoring import score_page, summarize

REAL_PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "real_pages"
FLOORS = Path(__file__).with_name("floors.json")

# Six English and six German pages: wire-heavy outlets, broadcasters, tabloids and
# regional papers, with different templates (the full set runs in the benchmark).
GOLDEN_PAGES = (
    "pages/uk/BBC_2024_08_01.html.gz",
    "pages/uk/EveningStandard_2024_05_02.html.gz",
    "pages/uk/TheMirror_2024_04_28.html.gz",
    "pages/us/VoiceOfAmerica_2024_04_28.html.gz",
    "pages/us/TechCrunch_2024_04_28.html.gz",
    "pages/za/TimesLive_2025_05_22.html.gz",
    "pages/de/Tagesschau_2023_04_28.html.gz",
    "pages/de/SpiegelOnline_2023_04_28.html.gz",
    "pages/de/DW_2024_01_30.html.gz",
    "pages/de/Heise_2024_04_19.html.gz",
    "pages/de/BerlinerMorgenpost_2024_05_03.html.gz",
    "pages/de/WAZ_2025_09_10.html.gz",
)


def _truth() -> dict[str, dict]:
    rows = (json.loads(line) for line in (REAL_PAGES / "truth.jsonl").read_text().splitlines())
    return {row["file"]: row for row in rows}


def _extract(row: dict) -> str:
    body = gzip.decompress((REAL_PAGES / row["file"]).read_bytes())
    try:
        article = extract_article(
            body,
            url=row["url"],
            source=row["publisher"],
            fetched=datetime(2026, 1, 1, tzinfo=UTC),
            # The stored pages were saved as UTF-8 text; the header stands in for the
            # original response's (see benchmarks/extraction.py).
            content_type="text/html; charset=utf-8",
        )
    except NoArticleText:
        return ""
    return article.text


@pytest.fixture(scope="module")
def golden_scores():
    truth = _truth()
    return {name: score_page(_extract(truth[name]), truth[name]["text"]) for name in GOLDEN_PAGES}


def test_golden_sample_is_labelled():
    truth = _truth()
    missing = [name for name in GOLDEN_PAGES if name not in truth]
    assert not missing, f"{missing} are not in tests/fixtures/real_pages/truth.jsonl"
    languages = {name.split("/")[1] for name in GOLDEN_PAGES}
    assert {"de", "uk", "us"} <= languages


def test_golden_sample_meets_floors(golden_scores):
    floors = json.loads(FLOORS.read_text())
    summary = summarize(golden_scores.values())
    measured = {"precision": summary.precision, "recall": summary.recall, "f1": summary.f1}
    worst = sorted(golden_scores.items(), key=lambda item: item[1].precision + item[1].recall)
    detail = "\n".join(
        f"  P {score.precision:.3f} R {score.recall:.3f}  {name}" for name, score in worst[:4]
    )
    for key, floor in floors.items():
        if key.startswith("_"):
            continue
        assert measured[key] >= floor, (
            f"extraction {key} on the golden sample fell to {measured[key]:.4f}, under the "
            f"floor {floor} of {FLOORS.name}. Worst pages:\n{detail}\n"
            "Find the change in extract/ (options in extract/settings.py) that caused it and "
            "check the full figures with `.venv/bin/python benchmarks/extraction.py "
            "--per-page`; lower the floor only if the loss is deliberate and explained."
        )


def test_every_golden_page_yields_text(golden_scores):
    empty = [name for name, score in golden_scores.items() if score.tp == 0]
    assert not empty, (
        f"extract_article returned no article text for {empty}; run "
        "`.venv/bin/python benchmarks/extraction.py --per-page` and look at those pages"
    )
