"""Per-source boilerplate learned from one archive: chrome recurring on most pages."""

from pathlib import Path

from extract import Article
from extract.article import parse_page
from extract.boilerplate import (
    BoilerplateMemory,
    block_key,
    block_keys,
    repeated_blocks,
    strip_blocks,
)
from extract.warc import Rejected, extract_warc
from tests.extract.test_extract_warc import ours, record_bytes

FOOTER = (
    "The content herein, unless otherwise known to be public domain, is Copyright "
    "Harbour Media Network. All websites are published in Australia and are subject "
    "to Australian law; wire stories are copyright of their agencies. Articles labelled "
    "by Staff Writers include reports supplied by industry news wires and press officers, "
    "curated and edited by our staff for their information value to our readers."
)


def page(title: str, body: str) -> bytes:
    return (
        f"<html lang='en'><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>"
        # The disclaimer sits inside the content container, where trafilatura keeps it.
        f"<div class='content'><h1>{title}</h1>{body}<p>{FOOTER}</p></div></body></html>"
    ).encode()


def story(n: int) -> str:
    return "".join(
        f"<p>Story {n}, paragraph {i}: the harbour board met on Tuesday and agreed to "
        f"dredge berth {n * 10 + i} before the cruise season, at a cost of {n + i} "
        "million dollars shared with the state.</p>"
        for i in range(4)
    )


def test_blocks_on_most_pages_are_learned() -> None:
    pages = [
        block_keys(parse_page(page(f"Story {n}", story(n)), url=f"https://h.example/{n}").tree)
        for n in range(4)
    ]
    learned = repeated_blocks(pages)
    assert block_key(FOOTER) in learned
    paragraphs = [p.split("</p>")[0] for p in story(0).split("<p>")[1:]]
    assert not {block_key(p) for p in paragraphs} & learned, "article text is never boilerplate"
    assert repeated_blocks(pages[:2]) == frozenset(), "two pages are too few to learn from"
    assert strip_blocks(f"Keep this.\n{FOOTER}", learned) == "Keep this."


def test_a_page_with_only_chrome_is_rejected(tmp_path: Path) -> None:
    records = [
        record_bytes(
            f"https://harbour.example/news/{n}",
            page(f"Story {n}", story(n)),
            wiredupe=ours("article"),
        )
        for n in range(4)
    ]
    gallery = page("Gallery: the week in pictures", "<p>Photos of the week.</p>")
    records.append(
        record_bytes("https://harbour.example/gallery/1", gallery, wiredupe=ours("article"))
    )
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(records))
    outcomes = list(extract_warc(path))
    articles = [o for o in outcomes if isinstance(o, Article)]
    rejected = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(articles) == 4
    assert all("Copyright" not in a.text and "berth" in a.text for a in articles)
    assert [r.url for r in rejected] == ["https://harbour.example/gallery/1"]
    assert "boilerplate" in rejected[0].reason


def test_boilerplate_learned_on_one_night_applies_on_the_next(tmp_path: Path) -> None:
    night1 = tmp_path / "night1.warc.gz"
    night1.write_bytes(
        b"".join(
            record_bytes(
                f"https://harbour.example/news/{n}",
                page(f"Story {n}", story(n)),
                wiredupe=ours("article"),
            )
            for n in range(4)
        )
    )
    memory = BoilerplateMemory()
    assert len([o for o in extract_warc(night1, memory=memory) if isinstance(o, Article)]) == 4
    learned = memory.added["harbour-news"]
    assert block_key(FOOTER) in learned

    # Night 2 brings one page: too few to learn from, but the stored blocks apply.
    night2 = tmp_path / "night2.warc.gz"
    gallery = page("Gallery: the week in pictures", "<p>Photos of the week.</p>")
    night2.write_bytes(
        record_bytes("https://harbour.example/gallery/2", gallery, wiredupe=ours("article"))
    )
    (alone,) = extract_warc(night2)
    assert isinstance(alone, Article), "without memory, one page cannot be judged"
    (judged,) = extract_warc(night2, memory=BoilerplateMemory(known={"harbour-news": learned}))
    assert isinstance(judged, Rejected) and "boilerplate" in judged.reason
