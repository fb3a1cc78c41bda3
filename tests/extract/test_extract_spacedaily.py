"""A spacedaily.com-like page: an AFP dispatch in a layout table, then the site's sidebar.

tests/extract/data/spacedaily_afp.html follows the layout of the Space Media Network
sites: one layout table holding menu, article, "Related Links", a grid of ~30 unrelated
headlines, and a copyright footer.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from extract import extract_article

PAGE = Path(__file__).with_name("data") / "spacedaily_afp.html"
URL = "https://www.spacedaily.com/reports/Taiwans_Foxconn_expands_AI_push_with_OpenAI_deal_999.html"
SIDEBAR_HEADLINES = (
    "AI's blind spot: tools fail to detect their own fakes",
    "NASA twin spacecraft depart Earth orbit to begin Mars mission",
    "Ancient Martian groundwater may have prolonged habitability beyond previous estimates",
    "What a Martian ice age left behind",
    "Lunar dust model highlights risks for spacecraft and future moon base projects",
    "Saturn moon mission planning shifts to flower constellation theory",
    "Blue Origin's New Glenn Nails First Ocean Booster Landing",
    "China's Shenzhou-20 astronauts return to Earth after delay",
    "40 000 near-Earth asteroids discovered!",
    "Largest modern crater identified in Chinas Holocene geology",
    "Space Technology News - Applications and Research",
)


@pytest.fixture(scope="module")
def article():
    return extract_article(
        PAGE.read_bytes(),
        url=URL + "?utm_source=feedburner",
        source="spacedaily",
        fetched=datetime(2025, 11, 21, 18, 0, tzinfo=UTC),
    )


def test_article_text_is_the_dispatch(article):
    assert article.text.startswith("Taiwanese tech giant Foxconn and OpenAI announced Friday")
    assert "manage the margin impact effectively." in article.text
    assert article.title == "Taiwan's Foxconn expands AI push with OpenAI deal"
    assert article.url == URL


@pytest.mark.parametrize("headline", SIDEBAR_HEADLINES)
def test_sidebar_headline_not_in_text(article, headline):
    assert headline not in article.text, (
        f"the sidebar headline {headline!r} reached the article text; check the trafilatura "
        "options in extract/settings.py (include_tables=False keeps layout tables out)"
    )


def test_menu_and_footer_not_in_text(article):
    for chrome in ("Related Links", "Space Media Network", "Subscribe Free", "Mars News"):
        assert chrome not in article.text
