"""Unit tests of the crawler's guards: body sniffing, entity refusal, lastmod window,
failure naming, retry backoff, the cache folder argument, and the stats documentation."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.settings import Settings

from crawler import Outcome, Source, crawl_command
from crawler.content import article_body_problem
from crawler.discovery import entity_problem, feed_links
from crawler.failures import AlreadyStored, failure_outcome, request_event
from crawler.items import ERROR_OUTCOMES, SKIP_OUTCOMES
from crawler.policy import ArticlePolicy, newest_lastmod
from crawler.retry import RetryBackoffMiddleware, backoff_delay

CRAWLER = Path(__file__).parents[2] / "crawler"
HTML = b"<!doctype html><html><head><title>t</title></head><body><p>x</p></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (HTML, "text/html; charset=utf-8", None),
        (HTML, None, None),  # no Content-Type: the body looks like HTML
        (HTML, "application/octet-stream", None),
        (b"\n  <html><p>x</p></html>", "text/plain", None),
        (b"", "text/html", ("empty", "empty body (0 bytes)")),
        (b" \r\n\t", "text/html", ("empty", "empty body (4 bytes)")),
        (b"%PDF-1.4\n...", "application/pdf", ("not_html", "a PDF document")),
        (b"%PDF-1.4\n...", "text/html", ("not_html", "a PDF document")),  # the bytes win
        (b"\x89PNG\r\n\x1a\n....", "text/html", ("not_html", "a PNG image")),
        (b"\xff\xd8\xff\xe0....", None, ("not_html", "a JPEG image")),
        (b"GIF89a....", "image/gif", ("not_html", "a GIF image")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "text/html", ("not_html", "a WebP image")),
        (b'{"a": 1}', "application/json", ("not_html", "application/json, not an HTML page")),
        (b"plain words", "text/plain", ("not_html", "text/plain, not an HTML page")),
    ],
)
def test_article_body_problem(
    body: bytes, content_type: str | None, expected: tuple[str, str] | None
) -> None:
    problem = article_body_problem(body, content_type)
    if expected is None:
        assert problem is None
        return
    assert problem is not None
    assert problem.outcome == expected[0]
    assert expected[1] in problem.reason


def test_entity_declarations_are_refused_in_any_usual_encoding() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><r>&b;</r>'
    assert entity_problem(bomb) is not None
    assert entity_problem(bomb.replace(b"DOCTYPE", b"doctype")) is not None
    utf16 = codecs.BOM_UTF16_LE + bomb.decode().encode("utf-16-le")
    assert entity_problem(utf16) is not None
    # A DOCTYPE without an internal subset (RSS 0.91's) declares nothing.
    netscape = b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "rss-0.91.dtd"><rss/>'
    assert entity_problem(netscape) is None
    # Entity-like text in an item is content, not a declaration.
    assert entity_problem(b"<rss><item><title>&lt;!ENTITY x&gt;</title></item></rss>") is None


def test_a_feed_with_an_expansion_bomb_yields_no_link() -> None:
    levels = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
        '<rss version="2.0"><channel><item><title>&l9;</title>'
        "<link>http://e.com/a?x=&l9;</link></item></channel></rss>"
    ).encode()
    found = feed_links(body, url="http://e.com/rss")
    assert found.links == ()
    assert found.problem is not None and "lollol" not in found.problem


def test_policy_filters_sitemap_entries_older_than_the_window() -> None:
    source = Source(name="s", sitemaps=("http://e.com/sitemap.xml",))
    now = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)
    policy = ArticlePolicy(source, lastmod_days=7, now=now)
    verdicts = {
        url: policy.consider(url, lastmod=lastmod)
        for url, lastmod in (
            ("http://e.com/recent.html", "2025-11-20T08:00:00+00:00"),
            ("http://e.com/old.html", "2025-11-01T08:00:00+00:00"),
            ("http://e.com/edge-day.html", "2025-11-14"),  # a date covers its whole day
            ("http://e.com/day-before.html", "2025-11-13"),
            ("http://e.com/no-offset.html", "2025-10-01T08:00:00"),
            ("http://e.com/undated.html", None),
        )
    }
    skips = {url.rsplit("/", 1)[1]: v.skip if v else "dup" for url, v in verdicts.items()}
    assert skips == {
        "recent.html": None,
        "old.html": "filtered",
        "edge-day.html": None,
        "day-before.html": "filtered",
        "no-offset.html": "filtered",
        "undated.html": None,
    }
    old = verdicts["http://e.com/old.html"]
    assert old is not None and "older than the 7-day window" in old.reason
    # 0 keeps everything, as does a policy built without a window.
    everything = ArticlePolicy(source, lastmod_days=0, now=now)
    assert everything.consider("http://e.com/old.html", lastmod="2001-01-01") is not None
    verdict = everything.consider("http://e.com/older.html", lastmod="2001-01-01")
    assert verdict is not None and verdict.skip is None


def test_lastmod_window_ends_at_the_sitemaps_newest_entry_when_that_is_earlier() -> None:
    source = Source(name="s", sitemaps=("http://e.com/sitemap.xml",))
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # a year after the frozen sitemap
    lastmods = ["2025-11-20T08:00:00+00:00", "2025-11-14", None, "2025-11-01T00:00:00Z"]
    newest = newest_lastmod(lastmods)
    assert newest == "2025-11-20T08:00:00+00:00"
    policy = ArticlePolicy(source, lastmod_days=7, now=now)
    skips = [
        verdict.skip if verdict else "dup"
        for n, lastmod in enumerate(lastmods)
        for verdict in [
            policy.consider(f"http://e.com/{n}.html", lastmod=lastmod, newest_lastmod=newest)
        ]
    ]
    assert skips == [None, None, None, "filtered"]
    # A newest entry in the future (a wrong clock) does not move the window past now.
    future = ArticlePolicy(source, lastmod_days=7, now=now)
    verdict = future.consider(
        "http://e.com/x.html", lastmod="2026-11-10", newest_lastmod="2030-01-01"
    )
    assert verdict is not None and verdict.skip == "filtered"
    assert newest_lastmod([None, None]) is None


def test_policy_is_seen_normalises() -> None:
    source = Source(name="s", feeds=("http://e.com/rss",))
    policy = ArticlePolicy(source, seen=frozenset({"http://e.com/a.html"}))
    assert policy.is_seen("http://E.com/a.html?utm_source=x#top")
    assert not policy.is_seen("http://e.com/b.html")


def _failed(url: str = "http://e.com/a", **meta: object) -> Request:
    return Request(url, meta=meta)


@pytest.mark.parametrize(
    ("error", "request_", "expected"),
    [
        (IgnoreRequest("Forbidden by robots.txt"), _failed(), ("robots", "robots.txt")),
        (AlreadyStored("already stored: redirected to x"), _failed(), ("seen", "already stored")),
        (
            IgnoreRequest("max redirections reached"),
            _failed("http://e.com/4", redirect_urls=["http://e.com/1", "http://e.com/2"]),
            ("redirects", "REDIRECT_MAX_TIMES=5 redirects: http://e.com/1 → http://e.com/2 → "),
        ),
        (
            DownloadTimeoutError("took longer"),
            _failed(retry_times=2, download_timeout=30),
            ("timeout", "DOWNLOAD_TIMEOUT=30 s; gave up after 3 attempts"),
        ),
        (
            DownloadCancelledError("Received 9 bytes which is larger than download max size (5)"),
            _failed(download_maxsize=5),
            ("too_large", "DOWNLOAD_MAXSIZE=5 bytes"),
        ),
        (
            ConnectionRefusedError("refused"),
            _failed(),
            ("error", "ConnectionRefusedError: refused"),
        ),
        (DownloadCancelledError("stopped by a handler"), _failed(), ("error", "stopped")),
    ],
)
def test_failure_outcome(
    error: BaseException, request_: Request, expected: tuple[Outcome, str]
) -> None:
    outcome, reason = failure_outcome(error, request_, Settings({"REDIRECT_MAX_TIMES": 5}))
    assert outcome == expected[0]
    assert expected[1] in reason


def test_request_event_logs_the_first_requested_url_and_where_it_led() -> None:
    redirected = _failed(
        "http://e.com/b",
        wiredupe_kind="article",
        wiredupe_found_on="http://e.com/rss",
        redirect_urls=["http://e.com/a"],
    )
    event = request_event(redirected, source="s", outcome="not_html", reason="r", status=200)
    assert (event.url, event.final_url, event.kind) == (
        "http://e.com/a",
        "http://e.com/b",
        "article",
    )
    assert (event.status, event.found_on, event.source) == (200, "http://e.com/rss", "s")
    direct = request_event(_failed(wiredupe_kind="feed"), source="s", outcome="error", reason="r")
    assert (direct.url, direct.final_url, direct.found_on) == ("http://e.com/a", None, None)


def test_backoff_delay_doubles_up_to_its_cap() -> None:
    assert [backoff_delay(n, base=2.0, cap=60.0) for n in range(0, 8)] == [
        0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="RETRY_BACKOFF_BASE and RETRY_BACKOFF_MAX"):
        RetryBackoffMiddleware(base=-1.0, cap=1.0)


def test_crawl_command_cache_dir_turns_on_the_http_cache(tmp_path: Path) -> None:
    argv = crawl_command(
        sources_file=tmp_path / "s.toml",
        source="alpha",
        out_dir=tmp_path / "out",
        cache_dir=Path("relative-cache"),
        settings={"HTTPCACHE_ENABLED": "False"},  # explicit settings win
    )
    settings = dict(argv[i + 1].split("=", 1) for i, arg in enumerate(argv) if arg == "-s")
    assert settings == {
        "HTTPCACHE_ENABLED": "False",
        "HTTPCACHE_DIR": str(Path("relative-cache").resolve()),
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
    }
    plain = crawl_command(sources_file=tmp_path / "s.toml", source="alpha", out_dir=tmp_path)
    assert "-s" not in plain


def test_every_outcome_is_classified_and_every_stats_key_documented() -> None:
    outcomes = set(get_args(Outcome))
    classified = {"fetched", "not_modified", *SKIP_OUTCOMES, *ERROR_OUTCOMES}
    assert classified == outcomes, "an outcome is neither fetched, skipped nor an error"
    doc = (CRAWLER / "fetchlog.py").read_text(encoding="utf-8")
    source = doc.split('"""', 2)[1]
    keys = re.findall(r'^\s+"(\w+)": ', doc.split("stats = {", 1)[1].split("}", 1)[0], re.M)
    assert keys, "could not find the stats dict in crawler/fetchlog.py"
    for key in keys:
        assert f"``{key}``" in source, f"stats key {key!r} is not documented in fetchlog.py"
    for outcome in ERROR_OUTCOMES:
        assert f"``{outcome}``" in source, f"error outcome {outcome!r} is not documented"
