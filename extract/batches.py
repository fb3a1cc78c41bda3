"""Extraction in batches of WARC records, for workers on other cores or machines.

:func:`~extract.warc.extract_warc` reads a file in one process (its pages parsed
by a local pool). To share a night among workers, the same work is cut in three:

1. :func:`warc_batches` reads a file's record headers (no page is parsed) and cuts
   its article candidates into :class:`WarcBatch` ranges of byte offsets;
2. :func:`extract_batch` parses and extracts one range, anywhere the file can be
   read (a shared path, or any fsspec URL), and returns each page's
   :data:`PageResult`: the outcome and the page's chrome;
3. :func:`~extract.warc.finish_extraction` takes a source's results of every
   batch, in file order, learns its boilerplate from all of them at once (as
   ``extract_warc`` does from the whole file) and yields the finished articles and
   rejections.

The three steps give the same articles as ``extract_warc`` on the same file::

    batches = list(warc_batches(path, pages=64))
    results = [r for b in batches for r in extract_batch(b)]   # on any workers
    outcomes = list(finish_extraction(results, memory))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from extract.errors import WarcReadError
from extract.warc import (
    KIND_HEADER,
    PageResult,
    check_whole,
    is_candidate,
    iter_raw_pages,
    process_page,
    warc_records,
)

__all__ = ["WarcBatch", "extract_batch", "warc_batches"]


@dataclass(frozen=True, kw_only=True)
class WarcBatch:
    """A run of records of one WARC file: what one worker extracts at a time.

    Attributes:
        path: the WARC file (a local path or an fsspec URL), as a string so that a
            batch crosses to other processes and machines as plain data.
        start: offset of the batch's first article candidate.
        end: offset just after its last one; None for the file's end.
        pages: how many article candidates it holds.
        index: the batch's place in its file (0, 1, ...), to put results in order.
    """

    path: str
    start: int
    end: int | None
    pages: int
    index: int


def warc_batches(path: Path | str, *, pages: int) -> Iterator[WarcBatch]:
    """Cut a WARC file's article candidates into batches of ``pages`` records.

    No page is parsed; each candidate's record is read through to check that it is
    whole (warcio would hand over a record cut short as a shorter page), so a
    remote file is read once here. A candidate is a ``response`` record of kind
    ``article`` (our crawler's) or any response of a foreign file.

    Args:
        path: the WARC file: a local path or an fsspec URL.
        pages: candidates per batch (at least 1).

    Yields:
        The batches in file order; a file without candidates yields none.

    Raises:
        ValueError: ``pages`` is below 1.
        WarcReadError: the file cannot be opened, or is damaged; the batches of
            every record before the damage have been yielded by then.
        OSError: reading failed for a reason of the file system (worth trying again).
    """
    if pages < 1:
        raise ValueError(f"pages must be at least 1, got {pages}")
    name = str(path)
    index = 0
    first: int | None = None  # offset of the open batch's first candidate
    count = 0
    try:
        for record, offset in warc_records(path):
            if first is not None and count == pages:
                # A full batch ends where the next record starts, whatever it is.
                yield WarcBatch(path=name, start=first, end=offset, pages=count, index=index)
                index += 1
                first, count = None, 0
            if is_candidate(record.rec_type, record.rec_headers.get_header(KIND_HEADER)):
                check_whole(path, record, offset)
                first = offset if first is None else first
                count += 1
    except WarcReadError as exc:
        if first is not None:  # what comes before the damage is still extracted
            yield WarcBatch(path=name, start=first, end=exc.offset, pages=count, index=index)
        raise
    if first is not None:
        yield WarcBatch(path=name, start=first, end=None, pages=count, index=index)


def extract_batch(batch: WarcBatch, *, default_source: str | None = None) -> list[PageResult]:
    """Parse and extract the article candidates of one batch.

    Args:
        batch: the records to read (see :func:`warc_batches`).
        default_source: source name for records without ``WARC-Wiredupe-Source``.

    Returns:
        Each candidate's outcome and chrome, in file order; the boilerplate is not
        removed yet (:func:`~extract.warc.finish_extraction` does that, with every
        batch's chrome).

    Raises:
        WarcReadError: the range cannot be read (the file changed or is damaged);
            nothing of the batch is returned.
        OSError: reading failed for a reason of the file system (worth trying again).
    """
    return [
        process_page(page)
        for page in iter_raw_pages(
            batch.path, default_source=default_source, start=batch.start, end=batch.end
        )
        if is_candidate("response", page.kind)
    ]
