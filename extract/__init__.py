"""Extraction stage: raw responses (HTML bytes or WARC records) to article records.

Imports nothing else of wiredupe: bytes in, :class:`Article` records out.
"""

from extract.article import Article, extract_article
from extract.batches import WarcBatch, extract_batch, warc_batches
from extract.boilerplate import BoilerplateMemory
from extract.dates import parse_timestamp
from extract.encoding import decode_html
from extract.errors import (
    ExtractError,
    InvalidUrl,
    NoArticleText,
    UndecodablePage,
    WarcReadError,
)
from extract.urls import canonical_url, choose_canonical
from extract.warc import (
    ExtractionPool,
    PageResult,
    RawPage,
    Rejected,
    all_cores,
    extract_warc,
    extraction_pool,
    finish_extraction,
    iter_raw_pages,
)

__all__ = [
    "Article",
    "BoilerplateMemory",
    "ExtractError",
    "ExtractionPool",
    "InvalidUrl",
    "NoArticleText",
    "PageResult",
    "RawPage",
    "Rejected",
    "UndecodablePage",
    "WarcBatch",
    "WarcReadError",
    "all_cores",
    "canonical_url",
    "choose_canonical",
    "decode_html",
    "extract_article",
    "extract_batch",
    "extract_warc",
    "extraction_pool",
    "finish_extraction",
    "iter_raw_pages",
    "parse_timestamp",
    "warc_batches",
]
