"""Records for other programs: JSON keeps them whole, CSV gets one flat row each."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flows.output import GROUP_CSV_FIELDS, group_csv_row, source_csv_row, write_records

SOURCE = {
    "source": "spacewar",
    "run_id": 3,
    "stored": 4,
    "skipped": {"seen": 12, "robots": 1},
    "errors": {},
}
GROUP = {
    "id": 7,
    "size": 2,
    "title": '=HYPERLINK("http://evil.example")',
    "agency": "AFP",
    "first_published": "2025-11-21T06:40:00+00:00",
    "last_published": "2025-11-21T09:15:00+00:00",
    "origin": {"url": "https://spacewar.example/a", "source": "spacewar"},
    "sources": ["southern", "spacewar"],
    "articles": [{"url": "https://spacewar.example/a"}],
}


def _csv(records: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, str]]:
    out = io.StringIO()
    assert write_records(records, "csv", out, **kwargs) == len(records)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_a_sources_csv_row_spells_out_skips_and_errors() -> None:
    (row,) = _csv([SOURCE], csv_row=source_csv_row)
    assert row["skipped"] == "robots 1, seen 12"
    assert row["errors"] == "", "no errors is an empty cell, not the text '-"
    assert row["stored"] == "4"
    out = io.StringIO()
    write_records([SOURCE], "json", out, csv_row=source_csv_row)
    assert json.loads(out.getvalue()) == [SOURCE], "only CSV rows are flattened"


def test_a_group_csv_row_has_the_group_columns_and_no_formula() -> None:
    (row,) = _csv([GROUP], csv_fields=GROUP_CSV_FIELDS, csv_row=group_csv_row)
    assert list(row) == list(GROUP_CSV_FIELDS)
    assert row["origin_source"] == "spacewar" and row["sources"] == "southern;spacewar"
    assert row["title"].startswith("'="), "a scraped title must not run as a formula"
