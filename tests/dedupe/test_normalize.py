from dedupe import WordHasher, normalize_text, shingle_hashes, tokens


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
    hasher = WordHasher()
    assert len(shingle_hashes(hasher(tokens("one two")), 3)) == 1
    assert len(shingle_hashes(hasher([]), 3)) == 0
    assert len(shingle_hashes(hasher(tokens("a b c d e")), 3)) == 3
    # A repeated shingle counts once.
    assert len(shingle_hashes(hasher(tokens("a b c a b c")), 3)) == 3
