"""Source health: the problems a morning reader must see, and no false alarms."""

from __future__ import annotations

from typing import Any

from flows.health import rate, source_health


def _night(stored: int = 20, empty_rate: float | None = 0.05, **more: Any) -> dict[str, Any]:
    return {
        "source": "wire",
        "discovered": 30,
        "fetched": 25,
        "not_modified": 0,
        "stored": stored,
        "skipped": {"seen": 5},
        "errors": {"http_error": 1},
        "empty_rate": empty_rate,
        "error_rate": 0.04,
        "failed": None,
        **more,
    }


def test_an_ordinary_night_is_not_flagged() -> None:
    usual = [_night(empty_rate=r) for r in (0.04, 0.1, 0.06)]
    assert source_health(_night(empty_rate=0.12), usual) == []
    assert source_health(_night(), []) == [], "a first night has nothing to compare with"


def test_a_jump_in_pages_without_an_article_is_flagged() -> None:
    usual = [_night(empty_rate=r) for r in (0.04, 0.06, 0.05, 0.9)]
    (problem,) = source_health(_night(empty_rate=0.6), usual)
    assert problem == "no article in 60% of pages (usually 6%): a changed page template?"


def test_a_high_rate_that_is_usual_for_the_source_is_not_flagged() -> None:
    # Half its pages are galleries every night: that is this source, not a break.
    usual = [_night(empty_rate=r) for r in (0.5, 0.45, 0.55)]
    assert source_health(_night(empty_rate=0.62), usual) == []


def test_a_jump_in_errors_is_flagged_and_failed_nights_are_not_the_usual() -> None:
    usual = [_night(error_rate=0.9, failed="stopped"), _night(), _night(), _night()]
    (problem,) = source_health(_night(error_rate=0.5), usual)
    assert problem == "errors on 50% of requests (usually 4%): blocked, or the site is down?"


def test_one_or_two_earlier_nights_are_no_usual() -> None:
    # A new source, or one back after a pause: nothing to compare with yet.
    assert source_health(_night(empty_rate=0.6), [_night(), _night()]) == []
    assert source_health(_night(empty_rate=0.6), [_night()] * 3) != []


def test_a_rate_needs_twenty_pages() -> None:
    assert rate(4, 19) is None, "four empty pages of nineteen is no rate"
    assert rate(4, 20) == 0.2


def test_too_few_pages_say_nothing() -> None:
    usual = [_night(empty_rate=None), _night(empty_rate=None)]
    assert source_health(_night(empty_rate=0.8), usual) == []


def test_a_source_that_stored_nothing_is_flagged_with_why() -> None:
    (unchanged,) = source_health(_night(stored=0, fetched=0, errors={}, not_modified=3))
    assert (
        unchanged == "stored nothing (its feeds and sitemaps were unchanged since the last night)"
    )
    (blind,) = source_health(_night(stored=0, discovered=0))
    assert blind == "stored nothing (no article link found in its feeds, sitemaps and pages)"
    (known,) = source_health(_night(stored=0, fetched=0, errors={}, skipped={"seen": 30}))
    assert known == (
        "stored nothing (30 article links found, 30 of them known from earlier nights, "
        "0 pages fetched, 0 errors)"
    )


def test_a_failed_crawl_is_the_one_problem() -> None:
    problems = source_health(_night(stored=0, failed="crawl of 'wire' exited with 1"))
    assert problems == ["crawl failed: crawl of 'wire' exited with 1"]
