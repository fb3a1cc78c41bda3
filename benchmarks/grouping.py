"""Grouping quality on the labelled syndication corpus, against a plain datasketch baseline.

The corpus is :func:`benchmarks.syndication.labelled_corpus` (about 1,200 articles
in about 350 stories: wire stories with edited copies, split-half and seed
same-event rewrites, briefs; see that module). By default each article is put into
its outlet's real page template and extracted again by wiredupe's extractor as a
night runs it (``extract.extract_warc``: all pages in one WARC, each source's
repeated blocks learned and removed), so grouping sees what a crawl would give it.
``--page-by-page`` extracts each page alone with ``extract.extract_article`` (no
learning: template boilerplate leaks into short articles, and grouping pays for
it). ``--no-render`` groups the copies' plain texts instead.

A rendered page whose extracted text has word 4-shingle precision or recall under
:data:`EXTRACTION_FAILED` against the copy's true text (``extract.scoring``) is an
extraction failure: its errors are counted apart, as the extractor's, and the scores
are also printed without these pages. Pages the extractor rejects never reach
grouping and are left out of the scores (their number is printed).

Grouping gets each copy's publication time from the corpus (the templates' own
metadata carry the template's old date), and, as its fetch time, the nightly crawl
after its publication; an undated copy is placed by that fetch time, as in a crawl.
(``wiredupe ingest`` of the corpus's JSON lines stamps undated copies with the
ingest time instead, which is outside their story's matching window.)

Two methods group the same texts:

- wiredupe's dedupe with its default :class:`~dedupe.config.DedupeConfig`;
- a plain datasketch baseline: word 5-shingles of the raw text (lower-cased
  word tokens, no normalisation), 128 permutations, LSH threshold 0.8,
  connected components of the LSH candidates.

It prints the corpus (articles, stories, hard negatives by kind), pairwise
precision/recall/F1, B-cubed precision/recall/F1 and the adjusted Rand index of
each method, DESIGN.md's bar (pairwise F1 >= 0.97 and ARI >= 0.95) and whether
wiredupe meets it, the errors by kind (false merges by hard-negative kind, copies
not grouped with their story's origin by edit), and the time of each step. Then the
same two methods on the bundled demo web (54 articles, a few seconds), a sanity
check kept from the earlier version of this benchmark (its sweep of settings is
gone: the syndication corpus is the measure now).

Run from the repository root::

    .venv/bin/python benchmarks/grouping.py [--no-render | --page-by-page] [--seed 0]
        [--workers N] [--show 5]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from itertools import combinations
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasketch import MinHash, MinHashLSH
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.syndication import LabelledArticle, labelled_corpus, process_map
from dedupe import DedupeConfig, GroupingScore, NewArticle, assign_groups, score_grouping
from extract import Article, NoArticleText, UndecodablePage, extract_article, extract_warc
from extract.scoring import score_page
from extract.warc import all_cores, extraction_pool

BAR_F1 = 0.97
BAR_ARI = 0.95
# Extracted text with word 4-shingle precision or recall under this is not the article.
EXTRACTION_FAILED = 0.5
_CONTENT_TYPE = "text/html; charset=utf-8"
# The fetch time given to the extractor (the pages' own dates are the templates').
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
_WORD = re.compile(r"\w+")
T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    """What grouping sees of one article: its id, text and times."""

    id: str
    text: str
    published: datetime | None
    fetched: datetime


# --- The two methods ----------------------------------------------------------------


def wiredupe_groups(records: Sequence[Item], config: DedupeConfig) -> dict[str, Hashable]:
    """Group with wiredupe's dedupe, in one night with an empty store.

    The only place that calls into ``dedupe``'s grouping API (it is changing):
    adapt this function, nothing else.
    """
    new = [NewArticle(n, r.text, r.published, r.fetched) for n, r in enumerate(records)]
    assignments = assign_groups(new, [], config).assignments
    return {records[n].id: group for n, group in assignments.items()}


def baseline_groups(records: Sequence[Item]) -> dict[str, Hashable]:
    """Plain datasketch: raw word 5-shingles, 128 perms, LSH 0.8, connected components."""
    sets = []
    for record in records:
        words = _WORD.findall(record.text.lower())
        sets.append([" ".join(words[i : i + 5]).encode() for i in range(len(words) - 4)])
    minhashes = MinHash.bulk(sets, num_perm=128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for n, minhash in enumerate(minhashes):
        lsh.insert(n, minhash)
    parent = list(range(len(records)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for n, minhash in enumerate(minhashes):
        for other in lsh.query(minhash):
            parent[find(n)] = find(int(other))
    return {record.id: find(n) for n, record in enumerate(records)}


# --- Extraction ---------------------------------------------------------------------


def _extract_page(job: tuple[str, str, str]) -> str | None:
    url, source, page = job
    try:
        return extract_article(
            page.encode("utf-8"),
            url=url,
            source=source,
            fetched=FETCHED,
            content_type=_CONTENT_TYPE,
        ).text
    except (NoArticleText, UndecodablePage):
        return None


def extract_pages(articles: Sequence[LabelledArticle], workers: int) -> dict[str, str | None]:
    """Each rendered page through ``extract_article``; None where it finds no article."""
    jobs = [(a.url, a.source, a.html or "") for a in articles]
    texts = process_map(_extract_page, jobs, workers)
    return {a.id: text for a, text in zip(articles, texts, strict=True)}


def extract_night(articles: Sequence[LabelledArticle], workers: int) -> dict[str, str | None]:
    """All pages in one WARC through ``extract_warc`` (per-source learning), as a night runs."""
    by_url = {a.url: a.id for a in articles}
    texts: dict[str, str | None] = dict.fromkeys(by_url.values())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "night.warc.gz"
        with path.open("wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            for a in articles:
                body = (a.html or "").encode("utf-8")
                http = StatusAndHeaders("200 OK", [("Content-Type", _CONTENT_TYPE)], "HTTP/1.1")
                writer.write_record(
                    writer.create_warc_record(
                        a.url,
                        "response",
                        payload=BytesIO(body),
                        length=len(body),
                        http_headers=http,
                        warc_headers_dict={
                            "WARC-Date": "2026-01-01T00:00:00Z",
                            "WARC-Wiredupe-Source": a.source,
                            "WARC-Wiredupe-Kind": "article",
                        },
                    )
                )
        with extraction_pool(workers) as pool:
            for outcome in extract_warc(path, pool=pool):
                if isinstance(outcome, Article):
                    texts[by_url[outcome.fetched_url]] = outcome.text
    return texts


# --- Error analysis -----------------------------------------------------------------


def false_merge_kind(
    a: LabelledArticle, b: LabelledArticle, failed: frozenset[str] = frozenset()
) -> str:
    """The hard-negative kind of two articles of different stories."""
    if a.id in failed or b.id in failed:
        return "extraction failed (wrong text)"
    if a.family == b.family == "seeds":
        return "same event: seed rewrites"
    if a.family == b.family:
        return "same event: split halves"
    if "brief" in (a.kind, b.kind):
        return "brief"
    if a.source == b.source:
        return "same outlet (template, boilerplate)"
    if a.template is not None and a.template == b.template:
        return "same template (sister outlet)"
    if a.agency is not None and a.agency == b.agency:
        return "same agency credit"
    return "other"


def copy_features(a: LabelledArticle, words: int, failed: frozenset[str]) -> list[str]:
    """The edit-model features of a copy, for the breakdown of missed copies."""
    e = a.edits
    out = [f"kind {a.kind}"]
    if a.id in failed:
        out.append("extraction failed")
    if e.rewrite:
        out.append("rewritten")
    if e.kept >= 1.0:
        out.append("kept 100%")
    else:
        low = int(e.kept * 100) // 20 * 20
        out.append(f"kept {low}-{low + 19}%")
    rate = e.copy_edits / max(words, 1)
    out.append(
        "copy edits none" if not e.copy_edits else f"copy edits {'<' if rate < 0.02 else '>='}2%"
    )
    out += [f"credit {c}" for c in e.credit] or ["credit none"]
    out += [f"inserted {i}" for i in e.inserted]
    if e.split:
        out.append("paragraphs split")
    if e.merged:
        out.append("paragraphs merged")
    if e.cut_sentence:
        out.append("sentence cut")
    out.append("words <150" if words < 150 else "words 150-400" if words < 400 else "words 400+")
    language = a.language or ("other (no spaces)" if " " not in a.text else "other")
    out.append(f"language {language}")
    if a.published is None:
        out.append("undated")
    return out


def _members(groups: Mapping[str, Hashable]) -> dict[Hashable, list[str]]:
    members: dict[Hashable, list[str]] = defaultdict(list)
    for item, group in groups.items():
        members[group].append(item)
    return members


def false_merges(
    groups: Mapping[str, Hashable],
    by_id: Mapping[str, LabelledArticle],
    failed: frozenset[str],
) -> Counter[str]:
    """Wrongly grouped pairs of articles, by hard-negative kind."""
    kinds: Counter[str] = Counter()
    for ids in _members(groups).values():
        for x, y in combinations(ids, 2):
            a, b = by_id[x], by_id[y]
            if a.story != b.story:
                kinds[false_merge_kind(a, b, failed)] += 1
    return kinds


def copies_of_origins(
    articles: Sequence[LabelledArticle], failed: frozenset[str]
) -> list[tuple[LabelledArticle, LabelledArticle]]:
    """Each copy with its story's reference article.

    The reference is the origin (the first, clean copy), or the first copy left when
    the origin was rejected or badly extracted.
    """
    stories: dict[str, list[LabelledArticle]] = defaultdict(list)
    for a in articles:
        stories[a.story].append(a)
    pairs = []
    for copies in stories.values():
        reference = next((a for a in copies if a.id not in failed), copies[0])
        pairs += [(copy, reference) for copy in copies if copy is not reference]
    return pairs


def missed_copies(
    groups: Mapping[str, Hashable], pairs: Sequence[tuple[LabelledArticle, LabelledArticle]]
) -> list[LabelledArticle]:
    """Copies not grouped with their story's reference (``pairs``: :func:`copies_of_origins`)."""
    return [c for c, o in pairs if groups[c.id] != groups[o.id]]


# --- Report -------------------------------------------------------------------------


def _row(name: str, s: GroupingScore) -> str:
    return (
        f"  {name:34s} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}   "
        f"{s.bcubed_precision:6.3f} {s.bcubed_recall:6.3f} {s.bcubed_f1:6.3f}   {s.ari:6.3f}"
    )


def _header() -> str:
    return (
        f"  {'method':34s} {'pairwise P':>10s} {'R':>6s} {'F1':>6s}   "
        f"{'B3 P':>6s} {'R':>6s} {'F1':>6s}   {'ARI':>6s}"
    )


def describe_corpus(
    articles: Sequence[LabelledArticle],
    rejected: Sequence[LabelledArticle],
    failed: frozenset[str],
) -> None:
    stories = Counter(a.story for a in articles)
    kinds = Counter(a.kind for a in articles)
    sizes = Counter(stories.values())
    families: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        families[a.family].add(a.story)
    split = [f for f, s in families.items() if len(s) > 1 and f != "seeds"]
    print(
        f"corpus: {len(articles)} articles in {len(stories)} stories "
        f"({sum(1 for n in stories.values() if n > 1)} with copies); "
        f"{sum(math.comb(n, 2) for n in stories.values())} true pairs"
    )
    print("  story sizes: " + ", ".join(f"{n}:{sizes[n]}" for n in sorted(sizes)))
    print("  articles by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    negatives: Counter[str] = Counter()
    for x, y in combinations(articles, 2):
        if x.story != y.story:
            kind = false_merge_kind(x, y)
            if kind != "other":
                negatives[kind] += 1
    print(
        f"  hard negatives: {len(split)} reports split into two stories, 3 seed rewrites, "
        f"{kinds['brief']} briefs; different-story pairs by kind: "
        + ", ".join(f"{k} {n}" for k, n in negatives.most_common())
    )
    if rejected:
        by_kind = Counter(a.kind for a in rejected)
        print(
            f"  left out: {len(rejected)} pages the extractor rejected (no article text): "
            + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items()))
        )
    if failed:
        by_kind = Counter(a.kind for a in articles if a.id in failed)
        print(
            f"  extraction failures (4-shingle P or R < {EXTRACTION_FAILED}): {len(failed)}: "
            + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items()))
        )


def print_errors(
    results: Mapping[str, Mapping[str, Hashable]],
    articles: Sequence[LabelledArticle],
    words: Mapping[str, int],
    failed: frozenset[str],
    show: int,
) -> None:
    by_id = {a.id: a for a in articles}
    names = list(results)
    merges = {name: false_merges(groups, by_id, failed) for name, groups in results.items()}
    kinds = sorted({k for m in merges.values() for k in m}, key=lambda k: -merges[names[0]][k])
    print("\nfalse merges (article pairs of different stories grouped together), by kind:")
    print(f"  {'kind':38s}" + "".join(f"{n:>12s}" for n in names))
    for kind in kinds:
        print(f"  {kind:38s}" + "".join(f"{merges[n][kind]:12d}" for n in names))
    pairs = copies_of_origins(articles, failed)
    missed = {name: missed_copies(groups, pairs) for name, groups in results.items()}
    copies = [c for c, _ in pairs]
    totals: Counter[str] = Counter(f for a in copies for f in copy_features(a, words[a.id], failed))
    print(
        "\ncopies not grouped with their story's origin, by edit (copies with it, missed by each):"
    )
    print(f"  {'edit':38s}{'copies':>8s}" + "".join(f"{n:>12s}" for n in names))
    counts = {
        name: Counter(f for a in m for f in copy_features(a, words[a.id], failed))
        for name, m in missed.items()
    }
    total_line = f"  {'all copies':38s}{len(copies):8d}" + "".join(
        f"{len(missed[n]):12d}" for n in names
    )
    print(total_line)
    for feature in sorted(totals):
        print(
            f"  {feature:38s}{totals[feature]:8d}"
            + "".join(f"{counts[n][feature]:12d}" for n in names)
        )
    if show:
        first = names[0]
        print(f"\nexamples ({first}):")
        for a in missed[first][:show]:
            print(f"  missed {a.id} ({words[a.id]} words): {a.edits}")
        shown = 0
        for ids in _members(results[first]).values():
            stories = {by_id[i].story for i in ids}
            if len(stories) > 1 and shown < show:
                shown += 1
                print(f"  merged {sorted(ids)[:6]} stories {sorted(stories)[:6]}")


def seeds_outcome(groups: Mapping[str, Hashable]) -> str:
    together = groups["seed-000"] == groups["seed-004"]
    others = {groups[f"seed-00{n}"] for n in (1, 2, 3)}
    apart = len(others) == 3 and groups["seed-000"] not in others
    return (
        f"000+004 {'together' if together else 'APART'}, 001-003 {'apart' if apart else 'MERGED'}"
    )


def timed(label: str, timings: dict[str, float], run: Callable[[], T]) -> T:
    """Run ``run`` and record its wall time under ``label``."""
    started = time.perf_counter()
    value = run()
    timings[label] = time.perf_counter() - started
    return value


def demo_web(config: DedupeConfig) -> None:
    """The bundled demo web's labelled articles, extracted and grouped by both methods."""
    from demo.build_sites import DEMO, SITES_DIR, page_file

    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
    items, labels = [], {}
    for n, row in enumerate(truth["articles"]):
        path = page_file(SITES_DIR / row["site"], row["path"])
        url = f"http://{row['site']}.example{row['path']}"
        article = extract_article(path.read_bytes(), url=url, source=row["site"], fetched=FETCHED)
        published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        items.append(Item(str(n), article.text, published, FETCHED))
        labels[str(n)] = row["story"]
    print(f"\ndemo web: {len(items)} articles in {len(set(labels.values()))} stories")
    print(_header())
    print(_row("wiredupe (defaults)", score_grouping(wiredupe_groups(items, config), labels)))
    print(_row("baseline (w5, 128, LSH 0.8, CC)", score_grouping(baseline_groups(items), labels)))


def extraction_failures(
    articles: Sequence[LabelledArticle], texts: Mapping[str, str | None]
) -> frozenset[str]:
    """Rendered articles whose extracted text is not their article (see the module doc)."""
    failed = set()
    for a in articles:
        text = texts[a.id]
        if text is not None:
            score = score_page(text, a.text)
            if min(score.precision, score.recall) < EXTRACTION_FAILED:
                failed.add(a.id)
    return frozenset(failed)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--no-render", action="store_true", help="group the plain texts")
    how.add_argument(
        "--page-by-page", action="store_true", help="extract_article per page, no learning"
    )
    parser.add_argument("--workers", type=int, default=max(2, all_cores()), help="processes")
    parser.add_argument("--show", type=int, default=5, help="examples of errors to print")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    render = not args.no_render
    corpus = timed(
        "build and render" if render else "build",
        timings,
        lambda: labelled_corpus(args.seed, render=render, workers=args.workers),
    )
    texts: dict[str, str | None] = {a.id: a.text for a in corpus}
    if args.page_by_page:
        mode = "rendered into real templates, extracted page by page (extract_article)"
        texts = timed("extract", timings, lambda: extract_pages(corpus, args.workers))
    elif render:
        mode = "rendered into real templates, extracted as a night (extract_warc, learning)"
        texts = timed("extract", timings, lambda: extract_night(corpus, args.workers))
    else:
        mode = "plain texts (--no-render)"
    articles = [a for a in corpus if texts[a.id] is not None]
    rejected = [a for a in corpus if texts[a.id] is None]
    failed = extraction_failures(articles, texts) if render else frozenset()
    items = [Item(a.id, texts[a.id] or "", a.published, a.fetched) for a in articles]
    words = {i.id: len(_WORD.findall(i.text)) for i in items}
    truth = {a.id: a.story for a in articles}

    print(f"seed {args.seed}; {mode}")
    describe_corpus(articles, rejected, failed)
    config = DedupeConfig()
    ours = timed("wiredupe grouping", timings, lambda: wiredupe_groups(items, config))
    base = timed("baseline grouping", timings, lambda: baseline_groups(items))
    ours_score, base_score = score_grouping(ours, truth), score_grouping(base, truth)
    print()
    print(_header())
    print(_row("wiredupe (defaults)", ours_score))
    print(_row("baseline (w5, 128, LSH 0.8, CC)", base_score))
    met = ours_score.f1 >= BAR_F1 and ours_score.ari >= BAR_ARI
    print(
        f"\nbar: pairwise F1 >= {BAR_F1} and ARI >= {BAR_ARI}: "
        f"{'MET' if met else 'NOT MET'} by wiredupe (F1 {ours_score.f1:.3f}, "
        f"ARI {ours_score.ari:.3f}); baseline F1 {base_score.f1:.3f}, ARI {base_score.ari:.3f}"
    )
    if failed:
        kept = {a: story for a, story in truth.items() if a not in failed}
        clean_ours = score_grouping({a: ours[a] for a in kept}, kept)
        clean_base = score_grouping({a: base[a] for a in kept}, kept)
        print(
            f"without the {len(failed)} extraction failures: wiredupe F1 {clean_ours.f1:.3f}, "
            f"ARI {clean_ours.ari:.3f}; baseline F1 {clean_base.f1:.3f}, ARI {clean_base.ari:.3f}"
        )
    if all(f"seed-00{n}" in ours for n in range(5)):
        print(f"seeds: wiredupe {seeds_outcome(ours)}; baseline {seeds_outcome(base)}")
    print_errors({"wiredupe": ours, "baseline": base}, articles, words, failed, args.show)
    timed("demo web", timings, lambda: demo_web(config))
    print("\ntimings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    print(
        f"  wiredupe {len(items) / timings['wiredupe grouping']:.0f} articles/s, baseline "
        f"{len(items) / timings['baseline grouping']:.0f} articles/s; "
        f"total {time.perf_counter() - started:.1f}s"
    )


if __name__ == "__main__":
    main()
