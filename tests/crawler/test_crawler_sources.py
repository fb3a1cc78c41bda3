"""sources.toml: the schema, and error messages that name the file, the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler import Source, SourcesError, get_source, load_sources, parse_sources

ORIGIN = "conf/sources.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_source_round_trips(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[crawl]
concurrency = 8

[dedupe]
threshold = 0.5

[[sources]]
name = "spacewar"
feeds = ["https://example.com/rss.xml"]
sitemaps = ["https://example.com/sitemap-news.xml"]
pages = ["https://example.com/news/"]
allow = ['/\\d{4}/\\d{2}/']
deny = ['/video/']
max_articles = 500

[[sources]]
name = "wire_2"
pages = ["http://127.0.0.1:8080/world/"]
""",
    )
    assert load_sources(path) == (
        Source(
            name="spacewar",
            feeds=("https://example.com/rss.xml",),
            sitemaps=("https://example.com/sitemap-news.xml",),
            pages=("https://example.com/news/",),
            allow=(r"/\d{4}/\d{2}/",),
            deny=("/video/",),
            max_articles=500,
        ),
        Source(name="wire_2", pages=("http://127.0.0.1:8080/world/",)),
    )


def test_source_is_frozen_and_keyword_only() -> None:
    source = Source(name="a", feeds=("https://a.example/rss",))
    with pytest.raises(AttributeError):
        source.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Source("a")  # type: ignore[misc]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match=r"nope\.toml: file not found"):
        load_sources(tmp_path / "nope.toml")


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "a"\nfeeds = https://a.example/rss\n')
    with pytest.raises(SourcesError) as info:
        load_sources(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid TOML")
    assert "(at line 3, column 9)" in message


def test_no_sources_at_all() -> None:
    with pytest.raises(SourcesError, match=r"conf/sources\.toml: no \[\[sources\]\] table"):
        parse_sources({"crawl": {"concurrency": 2}}, origin=ORIGIN)


def test_sources_not_an_array_of_tables() -> None:
    with pytest.raises(SourcesError, match="must be an array of tables"):
        parse_sources({"sources": "spacewar"}, origin=ORIGIN)


GOOD = {"name": "ok", "feeds": ["https://ok.example/rss"]}
B = "#2 ('b')"


@pytest.mark.parametrize(
    ("table", "source", "field", "fragment"),
    [
        ({"feeds": ["https://a.example/rss"]}, "#2", "name", "missing"),
        ({"name": "Space War", "feeds": ["https://a/"]}, "#2", "name", 'e.g. name = "space-war"'),
        ({"name": 7, "feeds": ["https://a/"]}, "#2", "name", "the number 7 is not a valid name"),
        ({"name": "ok", "feeds": ["https://a/"]}, "#2 ('ok')", "name", "duplicate name 'ok'"),
        ({"name": "b", "feed": ["https://a/"]}, B, "feed", "did you mean 'feeds'?"),
        ({"name": "b", "feeds": "https://a/x"}, B, "feeds", "expected a list of URLs"),
        ({"name": "b", "feeds": ["ftp://a/x"]}, B, "feeds", "'ftp://a/x' is not"),
        ({"name": "b", "pages": ["/news/"]}, B, "pages", "not an absolute http(s) URL"),
        ({"name": "b", "sitemaps": [3]}, B, "sitemaps", "not a URL string"),
        ({"name": "b"}, B, "feeds", "no feeds, sitemaps or pages"),
        ({"name": "b", "feeds": [], "pages": []}, B, "feeds", "no feeds, sitemaps"),
        ({"name": "b", "feeds": ["https://a/"], "allow": ["(unclosed"]}, B, "allow", ""),
        ({"name": "b", "feeds": ["https://a/"], "deny": "/video/"}, B, "deny", "list"),
        ({"name": "b", "feeds": ["https://a/"], "max_articles": 0}, B, "max_articles", ""),
        ({"name": "b", "feeds": ["https://a/"], "max_articles": -5}, B, "max_articles", ""),
        ({"name": "b", "feeds": ["https://a/"], "max_articles": "10"}, B, "max_articles", ""),
        ({"name": "b", "feeds": ["https://a/"], "max_articles": True}, B, "max_articles", ""),
    ],
)
def test_schema_errors_name_file_source_and_field(
    table: dict[str, object], source: str, field: str, fragment: str
) -> None:
    with pytest.raises(SourcesError) as info:
        parse_sources({"sources": [GOOD, table]}, origin=ORIGIN)
    error = info.value
    assert (error.origin, error.source, error.field) == (ORIGIN, source, field)
    message = str(error)
    assert message.startswith(f"{ORIGIN}: source {source}, field {field!r}: "), message
    assert fragment in message


def test_bad_regex_message_quotes_the_pattern_and_the_regex_error() -> None:
    table = {"name": "b", "feeds": ["https://a/"], "allow": ["ok", "(unclosed"]}
    with pytest.raises(SourcesError, match=r"item 2 '\(unclosed' is not a valid regular"):
        parse_sources({"sources": [table]}, origin=ORIGIN)


def test_entry_that_is_not_a_table() -> None:
    with pytest.raises(SourcesError, match=r"source #1: each entry of 'sources' must be a table"):
        parse_sources({"sources": ["spacewar"]}, origin=ORIGIN)


def test_get_source_suggests_a_close_name() -> None:
    sources = parse_sources({"sources": [GOOD]}, origin=ORIGIN)
    assert get_source(sources, "ok", origin=ORIGIN) is sources[0]
    with pytest.raises(SourcesError, match=r"no source named 'okk' \(did you mean 'ok'\?\)"):
        get_source(sources, "okk", origin=ORIGIN)
