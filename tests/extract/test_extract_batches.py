"""Extraction in batches of WARC records: the same articles as one pass over the file."""

from pathlib import Path

import fsspec
import pytest

from extract import Article, WarcReadError, extract_batch, finish_extraction, warc_batches
from extract.boilerplate import BoilerplateMemory
from extract.warc import extract_warc
from tests.extract.test_extract_boilerplate import FOOTER, page, story
from tests.extract.test_extract_warc import ours, record_bytes


def night_records(n_articles: int) -> list[bytes]:
    """A crawl's records: a feed, articles sharing a footer, and a 404, in crawl order."""
    records = [
        record_bytes(
            "https://harbour.example/rss.xml",
            b"<rss><channel><title>x</title></channel></rss>",
            content_type="application/rss+xml",
            wiredupe=ours("feed"),
        )
    ]
    for n in range(n_articles):
        records.append(
            record_bytes(
                f"https://harbour.example/news/{n}",
                page(f"Story {n}", story(n)),
                wiredupe=ours("article"),
            )
        )
        if n == 3:
            records.append(
                record_bytes(
                    "https://harbour.example/news/gone",
                    b"<html>Not found</html>",
                    status="404 Not Found",
                    wiredupe=ours("article"),
                )
            )
    return records


def _in_batches(path: Path | str, pages: int) -> list[Article | object]:
    results = [r for b in warc_batches(path, pages=pages) for r in extract_batch(b)]
    return list(finish_extraction(results, BoilerplateMemory()))


@pytest.mark.parametrize("pages", [1, 2, 5, 100])
def test_batches_give_the_articles_of_one_pass(tmp_path: Path, pages: int) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(night_records(9)))
    whole = list(extract_warc(path))
    batches = list(warc_batches(path, pages=pages))
    assert sum(b.pages for b in batches) == 10, "every article candidate, the 404 too; no feed"
    assert [b.index for b in batches] == list(range(len(batches)))
    assert all(b.pages <= pages for b in batches)
    assert _in_batches(path, pages) == whole
    articles = [o for o in whole if isinstance(o, Article)]
    assert len(articles) == 9
    # Learned from every batch together: a batch of one or two pages alone is too
    # few to learn a footer from, yet it is gone from every article.
    assert all(FOOTER[:40] not in a.text and "harbour board" in a.text for a in articles)


def test_a_damaged_file_gives_the_batches_before_the_damage(tmp_path: Path) -> None:
    records = night_records(6)
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(b"".join(records[:-1]) + records[-1][: len(records[-1]) // 2])
    batches = []
    with pytest.raises(WarcReadError) as excinfo:
        batches.extend(warc_batches(path, pages=2))
    assert excinfo.value.offset == sum(map(len, records[:-1]))
    assert batches[-1].end == excinfo.value.offset, "the last batch stops at the damage"
    seen = []
    with pytest.raises(WarcReadError):
        seen.extend(extract_warc(path))
    results = [r for b in batches for r in extract_batch(b)]
    assert list(finish_extraction(results)) == seen
    assert len(seen) == 6, "five articles and the 404, not the cut one"


def test_a_file_without_article_candidates_has_no_batch(tmp_path: Path) -> None:
    path = tmp_path / "feeds.warc.gz"
    path.write_bytes(night_records(0)[0])
    assert list(warc_batches(path, pages=10)) == []


def test_batches_read_a_warc_through_fsspec(tmp_path: Path) -> None:
    data = b"".join(night_records(5))
    local = tmp_path / "crawl.warc.gz"
    local.write_bytes(data)
    whole = list(extract_warc(local))
    # fsspec's in-memory file system: a file system that is not the local disk.
    url = "memory://wiredupe-test/runs/000001/harbour.warc.gz"
    with fsspec.open(url, "wb") as fh:
        fh.write(data)
    try:
        batches = list(warc_batches(url, pages=2))
        assert all(b.path == url for b in batches)
        assert _in_batches(url, 2) == whole
        assert _in_batches(local.as_uri(), 2) == whole  # file:// URLs too
    finally:
        fsspec.filesystem("memory").rm("/wiredupe-test", recursive=True)


def test_unreadable_archives_and_bad_sizes_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(WarcReadError, match=r"missing\.warc\.gz"):
        list(warc_batches(tmp_path / "missing.warc.gz", pages=5))
    with pytest.raises(WarcReadError, match="nosuchprotocol"):
        list(warc_batches("nosuchprotocol://bucket/x.warc.gz", pages=5))
    with pytest.raises(ValueError, match="at least 1"):
        list(warc_batches(tmp_path / "x.warc.gz", pages=0))
