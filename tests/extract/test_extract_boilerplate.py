"""Per-source boilerplate learned from one archive: chrome recurring on most pages."""

from pathlib import Path

from extract import Article
from extract.article import parse_page
from extract.boilerplate import (
    SECTION_PREFIX,
    BoilerplateMemory,
    PageChrome,
    block_key,
    page_chrome,
    repeated_blocks,
    strip_chrome,
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
        page_chrome(
            parse_page(page(f"Story {n}", story(n)), url=f"https://h.example/{n}").tree
        ).blocks
        for n in range(4)
    ]
    learned = repeated_blocks(pages)
    assert block_key(FOOTER) in learned
    paragraphs = [p.split("</p>")[0] for p in story(0).split("<p>")[1:]]
    assert not {block_key(p) for p in paragraphs} & learned, "article text is never boilerplate"
    assert repeated_blocks(pages[:2]) == frozenset(), "two pages are too few to learn from"
    assert strip_chrome(f"Keep this.\n{FOOTER}", learned, None) == "Keep this."


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


HEADLINES = [f"Headline number {n} about the council and the harbour" for n in range(40)]
REMARKS = [
    f"Reader remark {n}: I have lived here for {n} years and never saw this." for n in range(40)
]


def chrome_page(n: int, *, related_in_article: bool = False) -> bytes:
    """A page with a related list and comments whose content changes from page to page."""
    links = "".join(
        f"<p><a href='/news/{k}'>{HEADLINES[(n * 5 + k) % 40]}</a></p>" for k in range(5)
    )
    related = f"<div><p><b>Related Links</b></p>{links}</div>"
    comments = "".join(
        f"<div class='post'><span>user{k}</span><p>{REMARKS[(n * 3 + k) % 40]}</p></div>"
        for k in range(3)
    )
    return (
        f"<html lang='en'><head><title>Story {n}</title></head><body>"
        f"<div class='content'><h1>Story {n}</h1>{story(n)}"
        f"{related if related_in_article else ''}</div>"
        f"{'' if related_in_article else related}"
        f"<div class='reader-posts'><h3>{n + 2} comments</h3>{comments}</div></body></html>"
    ).encode()


def test_sections_with_changing_content_are_learned_and_removed(tmp_path: Path) -> None:
    chromes = [
        page_chrome(parse_page(chrome_page(n), url=f"https://h.example/{n}").tree) for n in range(4)
    ]
    learned = repeated_blocks([c.keys() for c in chromes])
    sections = {key for key in learned if key.startswith(SECTION_PREFIX)}
    # The related list, the comments, and the article's own container ("Story #"
    # heading), whose lines stay because they are most of the text.
    assert len(sections) == 3
    text = "\n".join(
        ["Story 0, paragraph 0: the harbour board met.", HEADLINES[0], REMARKS[0], "Related Links"]
    )
    assert strip_chrome(text, learned, chromes[0]) == "Story 0, paragraph 0: the harbour board met."

    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(
        b"".join(
            record_bytes(
                f"https://harbour.example/news/{n}",
                chrome_page(n, related_in_article=True),
                wiredupe=ours("article"),
            )
            for n in range(4)
        )
    )
    articles = [o for o in extract_warc(path) if isinstance(o, Article)]
    assert len(articles) == 4
    for article in articles:
        assert article.text.count("berth") == 4, "every paragraph of the story stays"
        assert "Headline number" not in article.text and "Reader remark" not in article.text


def test_a_section_holding_most_of_the_text_is_the_article() -> None:
    chrome = PageChrome(
        blocks=frozenset(),
        sections={"s:frame": frozenset({block_key("Paragraph one."), block_key("Paragraph two.")})},
    )
    text = "Paragraph one.\nParagraph two.\nA short teaser."
    assert strip_chrome(text, frozenset({"s:frame"}), chrome) == text


def test_a_frame_repeated_on_one_page_is_not_a_section() -> None:
    groups = "".join(
        f"<section class='group'><h2>Article content</h2><p>Part {k} of the story, "
        "long enough to be a paragraph of its own.</p></section>"
        for k in range(3)
    )
    html = f"<html><body><article>{groups}</article></body></html>".encode()
    chrome = page_chrome(parse_page(html, url="https://h.example/1").tree)
    assert not chrome.sections, "paragraph groups under one hidden heading are layout"
    assert block_key("Article content") in chrome.blocks
