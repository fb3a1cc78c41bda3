"""Per-source run figures: from a run summary to ``wiredupe sources`` and the report."""

from __future__ import annotations

from typing import Any

from flows.report import (
    night_groups_markdown,
    source_history,
    source_records,
    source_table_rows,
    summary_markdown,
)


def _summary(run_id: int, stored: int, **failed: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "sources": {
            "wire|one": {
                "discovered": 12,
                "fetched": 9,
                "not_modified": 1,
                "skipped": {"seen": 2, "robots": 1},
                "errors": 2,
                "errors_by_outcome": {"http_error": 1, "timeout": 1},
            }
        },
        "failed_sources": failed,
        "stored": {
            "stored": {"wire|one": stored},
            "already_stored": {"wire|one": 1},
            "rejected": {"wire|one": 1},
            "empty": {"wire|one": 20},
            "damaged": [],
        },
        "grouped": {"articles": stored, "new_groups": 1, "grown_groups": 0},
        "groups_by_source": {"wire|one": {"new_groups": 1, "new_copies": 2}},
    }


def test_a_sources_record_joins_crawl_and_storage_figures() -> None:
    failed, record = source_records(_summary(7, 5, other="crawl of 'other' exited with 1"))
    assert record == {
        "source": "wire|one",
        "run_id": 7,
        "discovered": 12,
        "fetched": 9,
        "not_modified": 1,
        "stored": 5,
        "already_stored": 1,
        "rejected": 1,
        "empty": 20,
        "skipped": {"seen": 2, "robots": 1},
        "errors": {"http_error": 1, "timeout": 1},
        "empty_rate": round(20 / 26, 3),  # of 26 pages extracted (5 new, 1 known, 20 empty)
        "error_rate": None,  # 11 requests (9 fetched, 2 errors) are too few for a rate
        "new_groups": 1,
        "new_copies": 2,
        "health": [],
        "failed": None,
    }
    assert failed["source"] == "other" and failed["failed"].startswith("crawl of")


def test_history_lists_sources_by_name_and_the_ones_never_crawled() -> None:
    stats = {"wire|one": [{**source_records(_summary(n, n))[0], "total": 6} for n in (3, 2)]}
    records = source_history(stats, configured=["fresh", "wire|one"])
    assert [(r["source"], r["run_id"], r["stored"]) for r in records] == [
        ("fresh", None, 0),
        ("wire|one", 3, 3),
        ("wire|one", 2, 2),
    ]
    assert records[1]["total"] == 6 and records[0]["total"] == 0


def test_the_report_table_keeps_scraped_names_in_their_cells() -> None:
    text = summary_markdown(_summary(1, 5, other="boom | broken"))
    row = next(line for line in text.splitlines() if line.startswith("| wire"))
    assert row.startswith("| wire\\|one | 12 | 9 | 1 | 5 | 1 | 1 | robots 1, seen 2 |")
    failed = next(line for line in text.splitlines() if line.startswith("| other"))
    assert failed.count(" |") == 9 and failed.endswith("| crawl failed: boom \\| broken |")


def test_scraped_text_in_the_artifacts_stays_text() -> None:
    title = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) *big* | cell"
    group = {
        "id": 4,
        "title": title,
        "agency": "AFP",
        "origin": {"source": "wire|one", "url": "http://x/1"},
        "outlets": 3,
        "size": 3,
        "added": 2,
    }
    text = night_groups_markdown(9, {"new": [group], "growing": []})
    row = next(line for line in text.splitlines() if line.startswith("| 4 |"))
    assert "<img" not in row and "&lt;img src=x onerror=alert(1)&gt;" in row
    assert "\\[click\\](javascript:alert(1))" in row and "\\*big\\*" in row
    # Every cell of the row is there: the title's "|" did not open a new one.
    assert row.count(" | ") == 6 and row.endswith("| 3 | 3 | 2 |")
    assert "No earlier group grew." in text


def test_the_table_artifact_has_one_row_of_figures_per_source() -> None:
    summary = _summary(3, 5, other="crawl of 'other' still going after 60 s; stopped")
    summary["health"] = {"other": ["crawl failed: still going"]}
    rows = source_table_rows(source_records(summary))
    assert [r["source"] for r in rows] == ["other", "wire|one"]
    assert rows[1] == {
        "source": "wire|one",
        "discovered": 12,
        "fetched": 9,
        "stored": 5,
        "skipped": 3,
        "errors": 2,
        "no article": "77%",
        "new groups": 1,
        "new copies in existing groups": 2,
        "health": "ok",
    }
    assert rows[0]["health"] == "crawl failed: still going"
    # A crawl's error quotes its log, and the UI renders a cell as markdown.
    summary["health"] = {"other": ["crawl failed: <GET http://x/a> | [b](c)"]}
    (failed, _) = source_table_rows(source_records(summary))
    assert failed["health"] == "crawl failed: &lt;GET http://x/a&gt; \\| \\[b\\](c)"
