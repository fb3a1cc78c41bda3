"""End-to-end crawls: the real child process against the served fixture web."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest
from crawler_harness import Crawl

from crawler import Outcome, crawl_command, crawl_env
from demo.server import DemoWeb

RUNS = ("alpha", "alpha-seen", "beta", "gamma", "gamma-capped")


@pytest.mark.parametrize("name", RUNS)
def test_crawl_exits_zero_and_writes_all_outputs(crawls: dict[str, Crawl], name: str) -> None:
    crawl = crawls[name]
    assert crawl.returncode == 0, f"crawl {name} failed; its stderr:\n{crawl.stderr}"
    for path in (crawl.outputs.warc, crawl.outputs.fetch_log, crawl.outputs.stats):
        assert path.exists(), f"crawl {name} did not write {path}; stderr:\n{crawl.stderr}"
    assert "Traceback" not in crawl.stderr, crawl.stderr
    assert "Warning" not in crawl.stderr, f"deprecated Scrapy API in use? stderr:\n{crawl.stderr}"


@pytest.mark.parametrize("name", RUNS)
def test_each_url_is_archived_and_logged_once(crawls: dict[str, Crawl], name: str) -> None:
    crawl = crawls[name]
    archived = Counter(crawl.targets())
    assert [url for url, n in archived.items() if n > 1] == [], "a URL was archived twice"
    logged = Counter(line["url"] for line in crawl.log)
    assert [url for url, n in logged.items() if n > 1] == [], "a URL was logged twice"


def test_fetch_log_lines_have_the_documented_fields(crawls: dict[str, Crawl]) -> None:
    outcomes = set(get_args(Outcome))
    for crawl in crawls.values():
        for line in crawl.log:
            assert {"url", "source", "kind", "status", "outcome", "reason", "time"} <= line.keys()
            assert line["outcome"] in outcomes
            assert line["kind"] in {"article", "feed", "sitemap", "section"}
            assert line["status"] is None or isinstance(line["status"], int)
            assert line["source"] == crawl.outputs.warc.name.removesuffix(".warc.gz")


def test_warc_records_carry_source_kind_date_and_real_http_headers(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["alpha"]
    feed = crawl.response(crawl_web.url("alpha", "/rss.xml"))
    assert feed.warc["WARC-Wiredupe-Source"] == "alpha"
    assert feed.warc["WARC-Wiredupe-Kind"] == "feed"
    assert feed.warc["WARC-Date"].startswith("20")
    assert feed.status == 200
    assert feed.http["server"].startswith("wiredupe-demo/1"), "headers must be the server's own"
    assert feed.http["content-type"] == "application/xml; charset=utf-8"
    assert b"<rss" in feed.body
    article = crawl.response(crawl_web.url("alpha", "/news/2025/11/alpha-deal.html"))
    assert article.warc["WARC-Wiredupe-Kind"] == "article"
    assert b"OpenAI teams up with Foxconn" in article.body
    assert int(article.http["content-length"]) == len(article.body)


def test_feed_article_fetched_once_despite_tracking_params_and_fragment(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["alpha"]
    deal = crawl_web.url("alpha", "/news/2025/11/alpha-deal.html")
    assert crawl.targets().count(deal) == 1
    assert not [url for url in crawl.targets() if "utm_" in url or "#" in url]


def test_feed_date_and_relative_link(crawls: dict[str, Crawl], crawl_web: DemoWeb) -> None:
    crawl = crawls["alpha"]
    deal = crawl.response(crawl_web.url("alpha", "/news/2025/11/alpha-deal.html"))
    assert deal.warc["WARC-Wiredupe-Published"] == "2025-11-21T08:30:00+00:00"
    # <link>news/2025/11/alpha-chips.html</link>, relative to /rss.xml; its date was +0100.
    chips = crawl.response(crawl_web.url("alpha", "/news/2025/11/alpha-chips.html"))
    assert chips.warc["WARC-Wiredupe-Published"] == "2025-11-21T05:10:00+00:00"


def test_robots_disallowed_url_is_never_fetched(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["alpha"]
    private = crawl_web.url("alpha", "/private/2025/11/alpha-embargoed.html")
    assert private not in crawl.targets()
    line = crawl.line(private)
    assert (line["outcome"], line["status"]) == ("robots", None)
    assert "robots.txt" in str(line["reason"])


def test_offsite_feed_item_is_never_fetched(crawls: dict[str, Crawl], crawl_web: DemoWeb) -> None:
    crawl = crawls["alpha"]
    offsite = crawl_web.url("gamma", "/world/2025/11/gamma-summit.html")
    assert offsite not in crawl.targets()
    assert crawl.line(offsite)["outcome"] == "offsite"


def test_404_and_503_are_archived_and_logged_with_their_status(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["alpha"]
    missing = crawl_web.url("alpha", "/news/2025/11/alpha-missing.html")
    assert crawl.response(missing).status == 404
    assert (crawl.line(missing)["outcome"], crawl.line(missing)["status"]) == ("http_error", 404)
    flaky = crawl_web.url("alpha", "/news/2025/11/alpha-flaky.html")  # 503, retried, gave up
    assert crawl.response(flaky).status == 503
    assert (crawl.line(flaky)["outcome"], crawl.line(flaky)["status"]) == ("http_error", 503)


def test_malformed_feed_is_logged_and_the_crawl_goes_on(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["alpha"]
    broken = crawl_web.url("alpha", "/broken.xml")
    line = crawl.line(broken)
    assert (line["outcome"], line["status"]) == ("error", 200)
    assert "malformed feed" in str(line["reason"])
    assert f"Skipping feed {broken}" in crawl.stderr, "the log must name the malformed feed"
    assert crawl_web.url("alpha", "/news/2025/11/alpha-chips.html") in crawl.targets()


def test_stats_count_discovered_fetched_skipped_errors(crawls: dict[str, Crawl]) -> None:
    stats = crawls["alpha"].stats
    # deal, chips, embargoed (robots), missing (404), flaky (503), gamma-summit (offsite)
    assert stats["discovered"] == 6
    assert stats["fetched"] == 3  # rss.xml, deal, chips
    assert stats["fetched_by_kind"] == {"article": 2, "feed": 1}
    assert stats["skipped"] == {"robots": 1, "offsite": 1}
    assert stats["errors"] == 3  # broken.xml, 404, 503
    assert stats["finish_reason"] == "finished"


def test_seen_urls_are_skipped_while_feeds_are_still_fetched(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["alpha-seen"]
    deal = crawl_web.url("alpha", "/news/2025/11/alpha-deal.html")
    assert deal not in crawl.targets()
    assert crawl.line(deal)["outcome"] == "seen"
    assert crawl_web.url("alpha", "/rss.xml") in crawl.targets()
    assert crawl_web.url("alpha", "/news/2025/11/alpha-chips.html") in crawl.targets()


def test_article_linked_from_feed_sitemap_and_page_is_fetched_once(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["beta"]
    launch = crawl_web.url("beta", "/news/2025/11/beta-launch.html")
    assert crawl.targets().count(launch) == 1
    assert len(crawl.lines(launch)) == 1
    assert not [url for url in crawl.targets() if "fbclid" in url or "utm_" in url]


def test_sitemap_index_is_followed_and_news_dates_kept(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["beta"]
    for path in ("/sitemap_index.xml", "/sitemaps/news.xml", "/sitemaps/pages.xml"):
        record = crawl.response(crawl_web.url("beta", path))
        assert record.warc["WARC-Wiredupe-Kind"] == "sitemap"
    markets = crawl.response(crawl_web.url("beta", "/news/2025/11/beta-markets.html"))
    assert markets.warc["WARC-Wiredupe-Published"] == "2025-11-21T09:15:00+01:00"
    # Only in the plain sitemap and the Atom feed (as <updated>).
    reaction = crawl.response(crawl_web.url("beta", "/news/2025/11/beta-reaction.html"))
    assert reaction.warc["WARC-Wiredupe-Published"] == "2025-11-21T10:00:00+00:00"


def test_malformed_sitemap_is_logged_and_the_crawl_goes_on(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["beta"]
    line = crawl.line(crawl_web.url("beta", "/sitemaps/broken.xml"))
    assert line["outcome"] == "error" and "malformed sitemap" in str(line["reason"])
    assert crawl.stats["fetched_by_kind"] == {"article": 4, "feed": 1, "section": 1, "sitemap": 3}


def test_redirect_is_archived_under_the_final_url(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["beta"]
    old = crawl_web.url("beta", "/news/old-slug.html")
    new = crawl_web.url("beta", "/news/2025/11/beta-renamed.html")
    assert old not in crawl.targets()
    record = crawl.response(new)
    assert record.status == 200
    assert record.warc["WARC-Wiredupe-Requested-URI"] == old
    assert record.warc["WARC-Wiredupe-Published"] == "2025-11-20T18:00:00+00:00"
    line = crawl.line(old)
    assert (line["outcome"], line["final_url"]) == ("fetched", new)


def test_section_page_skips_nav_header_footer_tag_and_offsite_links(
    crawls: dict[str, Crawl], crawl_web: DemoWeb
) -> None:
    crawl = crawls["gamma"]
    kinds = {record.target: record.warc["WARC-Wiredupe-Kind"] for record in crawl.responses}
    articles = {url for url, kind in kinds.items() if kind == "article"}
    assert articles == {
        crawl_web.url("gamma", "/world/2025/11/gamma-summit.html"),
        crawl_web.url("gamma", "/world/2025/11/gamma-talks.html"),  # ?ref=world-river removed
        crawl_web.url("gamma", "/world/2025/11/gamma-vote.html"),
    }
    assert crawl.response(crawl_web.url("gamma", "/world/")).warc["WARC-Wiredupe-Kind"] == "section"
    offsite = crawl_web.url("alpha", "/news/2025/11/alpha-deal.html")
    assert crawl.line(offsite)["outcome"] == "offsite"
    fetched = " ".join(crawl.targets())
    for never in ("nav-pick", "footer-promo", "/tag/", "/author/", "/about/", "/category/"):
        assert never not in fetched


def test_allow_and_deny_are_honoured(crawls: dict[str, Crawl], crawl_web: DemoWeb) -> None:
    crawl = crawls["gamma"]
    video = crawl.line(crawl_web.url("gamma", "/video/2025/11/gamma-clip.html"))
    assert video["outcome"] == "filtered" and "deny" in str(video["reason"])
    letters = crawl.line(crawl_web.url("gamma", "/opinion/letters.html"))
    assert letters["outcome"] == "filtered" and "allow" in str(letters["reason"])


def test_max_articles_caps_article_requests(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["gamma-capped"]
    kinds = Counter(record.warc["WARC-Wiredupe-Kind"] for record in crawl.responses)
    assert kinds == {"section": 1, "article": 1}
    # talks, vote and (no deny here) the video were capped; the offsite link is still offsite.
    outcomes = Counter(line["outcome"] for line in crawl.log if line["kind"] == "article")
    assert outcomes == {"fetched": 1, "capped": 3, "offsite": 1, "filtered": 1}
    assert crawl.stats["skipped"] == {"offsite": 1, "filtered": 1, "capped": 3}


def test_unknown_source_fails_fast_with_a_readable_error(
    sources_file: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        crawl_command(sources_file=sources_file, source="gamam", out_dir=tmp_path),
        env=crawl_env(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no source named 'gamam' (did you mean 'gamma'?)" in result.stderr
