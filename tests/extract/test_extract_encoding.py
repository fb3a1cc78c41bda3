from datetime import UTC, datetime

import pytest

from extract import UndecodablePage, decode_html, extract_article

URL = "https://www.example.de/politik/artikel-1"
TEXT = (
    "Die Bürgermeisterin von Köln äußerte sich am Montag zu den Plänen für die Straße. "
    "„Wir müssen größer denken“, sagte sie – und verwies auf die Kosten von 5 € pro Kopf. "
    "Über die Maßnahmen soll im Frühjahr entschieden werden; Kritiker nennen sie übereilt. "
)
MORE = (
    "Der Stadtrat tagt erst nach den Ferien wieder, eine Sondersitzung lehnte die Mehrheit ab. "
    "Anwohner der Südstadt kündigten bereits Widerstand gegen die Baustelle an."
)


def page(meta: str = "") -> str:
    return (
        f"<html lang='de'><head>{meta}<title>Köln plant größer</title></head>"
        f"<body><article><p>{TEXT}</p><p>{MORE}</p></article></body></html>"
    )


def extract(body: bytes, content_type: str | None = None):
    return extract_article(
        body, url=URL, source="example", fetched=datetime.now(UTC), content_type=content_type
    )


def test_windows_1252_declared_only_in_meta():
    body = page('<meta charset="windows-1252">').encode("cp1252")
    article = extract(body, content_type="text/html")
    assert "„Wir müssen größer denken“" in article.text
    assert "5 €" in article.text


def test_iso_8859_1_declared_only_in_http_equiv():
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">').encode(
        "cp1252"
    )
    assert "Bürgermeisterin" in extract(body).text


def test_iso_8859_1_in_header_wins_over_wrong_meta():
    body = page('<meta charset="utf-8">').replace("„", '"').replace("“", '"')
    body = body.replace("–", "-").replace("€", "EUR").encode("iso-8859-1")
    article = extract(body, content_type="text/html; charset=ISO-8859-1")
    assert "Bürgermeisterin von Köln äußerte" in article.text


def test_utf8_bom_wins_over_meta():
    body = b"\xef\xbb\xbf" + page('<meta charset="windows-1252">').encode("utf-8")
    text = decode_html(body, url=URL)
    assert not text.startswith("\ufeff")
    assert "„Wir müssen größer denken“" in extract(body).text


def test_undeclared_utf8_is_detected():
    assert "Straße" in extract(page().encode("utf-8")).text


def test_undeclared_legacy_encoding_is_detected():
    assert "Bürgermeisterin" in decode_html(page().encode("cp1252"), url=URL)


def test_binary_body_is_undecodable():
    body = bytes(range(256)) * 50
    with pytest.raises(UndecodablePage, match=r"cannot decode https://www\.example\.de/"):
        extract(body, content_type="text/html; charset=utf-8")
