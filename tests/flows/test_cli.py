"""The command line as a user runs it: a real ``wiredupe`` process each time."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import seed_texts

WIREDUPE = [sys.executable, "-m", "flows"]


def wiredupe(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREDUPE_")}
    proc = subprocess.run(
        [*WIREDUPE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"wiredupe {' '.join(args)} failed: {proc.stderr}")
    return proc


def _jsonl(tmp_path: Path) -> Path:
    seeds = seed_texts()
    lines = [
        json.dumps(
            {
                "url": "https://www.spacewar.example/reports/foxconn.html?utm_source=rss",
                "source": "spacewar",
                "title": "Taiwan's Foxconn expands AI push with OpenAI deal",
                "published": "2025-11-21T06:40:00Z",
                "text": seeds["004"],
            }
        ),
        "{not json",
        json.dumps({"url": "https://b.example/x", "title": "no text"}),
        json.dumps(
            {
                "url": "https://southern.example/foxconn",
                "source": "southern",
                "title": "OpenAI, Foxconn to build AI hardware",
                "published": "2025-11-21T09:15:00+00:00",
                "text": seeds["000"],
            }
        ),
        json.dumps({"url": "https://c.example/x", "text": "t", "published": "last friday"}),
    ]
    for n in ("001", "002", "003"):
        lines.append(json.dumps({"url": f"https://other{n}.example/story", "text": seeds[n]}))
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ingested(tmp_path: Path) -> Path:
    proc = wiredupe("ingest", str(_jsonl(tmp_path)), cwd=tmp_path)
    assert "articles.jsonl:2: invalid JSON" in proc.stderr
    assert "articles.jsonl:3: 'text' or 'html' is required" in proc.stderr
    assert "articles.jsonl:5: 'published' is not an ISO 8601 date" in proc.stderr
    assert "5 new articles" in proc.stdout and "3 bad lines skipped" in proc.stdout
    return tmp_path


def test_ingest_groups_the_seed_copies(ingested: Path) -> None:
    groups = json.loads(wiredupe("groups", "--format", "json", cwd=ingested).stdout)
    afp = groups[0]
    assert afp["size"] == 2 and len(groups) == 4
    assert afp["origin"] == {
        "url": "https://www.spacewar.example/reports/foxconn.html",
        "source": "spacewar",
    }, "the earliest copy is the origin, with tracking parameters removed"
    assert afp["agency"] == "AFP"
    assert afp["sources"] == ["southern", "spacewar"]
    assert [a["is_origin"] for a in afp["articles"]] == [True, False]
    assert 0.4 < afp["articles"][1]["similarity"] < 1.0
    for key in ("id", "size", "title", "first_published", "last_published", "agency"):
        assert key in afp

    detail = wiredupe("group", str(afp["id"]), cwd=ingested).stdout
    assert "Story group" in detail and "spacewar (origin)" in detail


def test_ingest_twice_stores_nothing_twice(ingested: Path) -> None:
    before = json.loads(wiredupe("groups", "--format", "json", cwd=ingested).stdout)
    again = wiredupe("ingest", str(ingested / "articles.jsonl"), cwd=ingested)
    assert "0 new articles, 5 already stored" in again.stdout
    after = json.loads(wiredupe("groups", "--format", "json", cwd=ingested).stdout)
    assert after == before


def test_groups_formats_and_filters(ingested: Path) -> None:
    jsonl = wiredupe("groups", "--format", "jsonl", "--min-size", "2", cwd=ingested).stdout
    assert len(jsonl.splitlines()) == 1
    rows = list(
        csv.DictReader(io.StringIO(wiredupe("groups", "--format", "csv", cwd=ingested).stdout))
    )
    assert len(rows) == 4 and rows[0]["origin_source"] == "spacewar"
    found = json.loads(
        wiredupe("groups", "--format", "json", "--search", "hon hai", cwd=ingested).stdout
    )
    exported = wiredupe("export", "--format", "jsonl", cwd=ingested).stdout.splitlines()
    expected = {
        r["group_id"]
        for r in map(json.loads, exported)
        if "hon hai" in (r["text"] + (r["title"] or "")).lower()
    }
    assert 1 < len(expected) < 4, "the phrase is in some groups, not all"
    assert {g["id"] for g in found} == expected
    assert (
        wiredupe("groups", "--since", "2030-01-01", "--format", "json", cwd=ingested).stdout.strip()
        == "[]"
    )
    table = wiredupe("groups", cwd=ingested).stdout
    assert "Foxconn" in table and max(len(line) for line in table.splitlines()) <= 120

    def ids(*args: str) -> list[int]:
        out = wiredupe("groups", "--format", "json", *args, cwd=ingested).stdout
        return [g["id"] for g in json.loads(out)]

    every = ids()
    afp = every[0]  # the seed copies: spacewar (origin) and southern, AFP
    assert ids("--source", "southern") == [afp]
    assert ids("--agency", "afp") == [afp]
    assert ids("--until", "2000-01-01") == []
    assert ids("--limit", "2", "--offset", "1") == every[1:3], "pagination"


def test_export_records_follow_the_contract(ingested: Path) -> None:
    lines = wiredupe("export", "--format", "jsonl", cwd=ingested).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 5
    for key in (
        "url", "source", "title", "author", "published", "fetched", "language", "text",
        "group_id", "is_origin", "agency",
    ):  # fmt: skip
        assert key in records[0], f"exported article lacks {key!r}"
    assert sum(r["is_origin"] for r in records) == 4
    out = ingested / "export.csv"
    wiredupe("export", "--format", "csv", "--output", str(out), cwd=ingested)
    with out.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--sources", "missing.toml"], "missing.toml: file: not found"),
        (["groups", "--db", "postgresql://nobody@127.0.0.1:1/none"], "cannot open database"),
        (["group", "999"], "no story group with id 999"),
        (["run", "--sources", "one.toml", "--source", "nope"], "no source named 'nope'"),
        (["ingest", "nope.jsonl"], "no such file: nope.jsonl"),
        (["groups", "--since", "someday"], "is not a date"),
        (["schedule", "--sources", "bad.toml"], "bad.toml: syntax"),
        (["run", "--sources", "unknown.toml"], "unknown setting"),
        (["run", "--sources", "one.toml", "--dask", "10.0.0.5"], "a Dask scheduler address"),
        (
            ["schedule", "--sources", "one.toml", "--pool", "p", "--db", "postgresql://u:pw@h/d"],
            "database: url: holds a password",
        ),
        (
            ["schedule", "--sources", "one.toml", "--pool", "p", "--lsh", "redis://:pw@h:6379/0"],
            "index: url: holds a password",
        ),
    ],
)
def test_user_errors_are_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bad.toml").write_text("[[sources]\n", encoding="utf-8")
    (tmp_path / "one.toml").write_text(
        '[[sources]]\nname = "a"\nfeeds = ["https://a.example/rss"]\n', encoding="utf-8"
    )
    (tmp_path / "unknown.toml").write_text(
        '[[sources]]\nname = "a"\nfeeds = ["https://a.example/rss"]\n[crawl]\nspeed = 1\n',
        encoding="utf-8",
    )
    proc = wiredupe(*args, cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_hostile_lines_cost_only_themselves(tmp_path: Path) -> None:
    seeds = seed_texts()
    good = json.dumps({"url": "https://a.example/1", "text": seeds["000"]}).encode()
    lines = [
        good,
        b'{"url": "https://a.example/2", "text": "caf\xe9 bad byte"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nested too deeply
        json.dumps(
            {"url": "https://a.example/3", "text": "x", "published": "0001-01-01T00:00:00+05:00"}
        ).encode(),
        json.dumps({"url": "https://a.example/4", "text": seeds["001"] + "\u0000\ud800"}).encode(),
        json.dumps({"url": "https://a.example/" + "x" * 3000, "text": seeds["002"]}).encode(),
        json.dumps(
            {"url": "https://a.example/6", "text": seeds["003"], "language": "en" * 50}
        ).encode(),
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    proc = wiredupe("ingest", str(path), cwd=tmp_path)
    assert "hostile.jsonl:2: not UTF-8" in proc.stderr
    assert "hostile.jsonl:3: JSON nested too deeply" in proc.stderr
    assert "hostile.jsonl:4: 'published' is not an ISO 8601 date" in proc.stderr
    assert "3 new articles" in proc.stdout and "1 rejected" in proc.stdout
    records = [json.loads(line) for line in wiredupe("export", cwd=tmp_path).stdout.splitlines()]
    assert {r["url"] for r in records} == {f"https://a.example/{n}" for n in (1, 4, 6)}
    assert all("\x00" not in r["text"] for r in records)
