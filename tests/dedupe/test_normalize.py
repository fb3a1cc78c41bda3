import pytest

from dedupe import normalize_text, shingle_hashes, tokens, word_hashes


def test_datelines_credits_and_inserted_lines_are_removed() -> None:
    text = (
        "by AFP Staff Writers\n"
        "Taipei (AFP) Nov 21, 2025\n"
        "PARIS (AFP) - Markets fell sharply on Friday.\n"
        "ADVERTISEMENT\n"
        "Read more: Oil prices climb as supply tightens\n"
        "NEW DELHI, Nov 21 (Reuters) - Traders were cautious.\n"
        "© Reuters\n"
    )
    assert normalize_text(text) == "markets fell sharply on friday.\ntraders were cautious."


def test_quotes_dashes_and_case_are_folded() -> None:
    a = normalize_text("“Demand is outpacing supply” — Altman’s words")
    b = normalize_text('"demand is outpacing supply" - altman\'s words')
    assert a == b


def test_story_text_mentioning_an_agency_is_kept() -> None:
    line = "Tseng told AFP that the risk of an invasion has prompted production in the US."
    assert normalize_text(line) == line.casefold()


def test_shingles_of_short_and_long_texts() -> None:
    assert len(shingle_hashes(word_hashes("one two"), 3)) == 1
    assert len(shingle_hashes(word_hashes(""), 3)) == 0
    assert len(shingle_hashes(word_hashes("a b c d e"), 3)) == 3
    # A repeated shingle counts once.
    assert len(shingle_hashes(word_hashes("a b c a b c"), 3)) == 3


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii, with punctuation: don't stop-gap 3.5% (x_y)",
        "zürich's größte bank: 5 € für 20 °c; señor ñandú",
        "台湾の半導体 tsmc said 中国 on friday",
        "soft\u00adhyphen, word\u2060joiner, emoji 😀 here, ٣ arabic digit, \u00b2",
        "lone \ud800 surrogate from json",
        "",
        "   ",
    ],
)
def test_word_hashes_find_the_words_tokens_finds(text: str) -> None:
    words = tokens(text)
    hashed = word_hashes(text).tolist()
    assert len(hashed) == len(words)
    # Equal words hash equal, different words differently.
    assert len(set(zip(words, hashed, strict=True))) == len(set(words)) == len(set(hashed))


PINNED = [1304809401700322100, 14669885904258758496, 14453495328274919654]


def test_word_hashes_are_fixed_values() -> None:
    # Stored signatures depend on these across versions and machines.
    assert word_hashes("the quick été").tolist() == PINNED
    assert word_hashes("x the").tolist()[1] == PINNED[0]
