"""The supervisor's text search over every case: what a search means, and how its newest-first
page is found without reading the whole archive.

A search is words (「书院南街 占道」); a case matches when its title, content and address
together contain every word (``ILIKE '%词%'``, exact, the same on both engines). The engine's
index (hotline/models/case_search.py) only narrows the cases to check.

A page is the ``limit`` largest matching ids below the cursor. ``newest_first`` finds them in
widening windows of ids, newest first, and stops at the first window that completes the page
(docs/scale.md, "Text search").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy import text as text_clause

from hotline.extensions import db
from hotline.models import Case, case_search

# Words of a search: a street name and a problem, say; more are ignored.
MAX_SEARCH_TERMS = 5

# The first window: this many of the newest cases (below the cursor), read in id order without
# the index. Common words (「漏水」 in one case in twenty) fill a page here, at a cost that
# does not depend on the archive's length.
SEARCH_WINDOW = 10_000
# Later windows are read the same way while the matches found so far predict the page within
# this many of the newest ids (words rare together, 0.2-0.4 % of cases: 「书院南街 占道」); a
# scan costs the same whatever the archive's length. Beyond it, and when the first window
# found nothing, they go through the index ANDed with the window's id range.
SCAN_BUDGET = 50_000
# Each later window spans at most this many times the ids already searched (fewer when the
# matches found so far predict the page sooner).
WINDOW_GROWTH = 10
# A window of up to this many blocks of ids (case_search.BLOCK_IDS) asks the index for them;
# a wider one reads the bigrams' postings of the whole archive and ANDs them with its ids.
WINDOW_BLOCKS = 16


def text_condition(text: str, *, indexed: bool = True,
                   window: tuple[int, int] | None = None):
    """Cases whose number is ``text``, or whose title, content and address together contain
    every whitespace-separated word of it (「玉林北路 噪音」).

    Each word is an ``ILIKE '%词%'`` over ``Case.search_text``, the same on both engines.
    Beside it, the engine's index narrows the cases to check (hotline/models/case_search.py):
    on PostgreSQL the bigrams of every word of two or more characters, on SQLite an FTS5
    trigram phrase per word of three or more. The index may offer too many cases, never too
    few, so the results are the ILIKE's alone. ``indexed=False`` leaves the index out (the
    newest-cases window). ``window``, the ids ``(low, high)`` of one window of the archive,
    keeps to the ids from ``low`` up (``high`` is the caller's); through PostgreSQL's index
    it asks for the window's blocks of ids and gives the bigrams as a sub-select (see
    ``_pg_bigrams``).
    """
    terms = text.split()[:MAX_SEARCH_TERMS]
    haystack = Case.search_text()
    blocks = _window_blocks(terms, window) if indexed else None
    words = and_(*(_contains(haystack, t) for t in terms),
                 *(_index_condition(terms, haystack, window is not None, blocks)
                   if indexed else ()))
    condition = or_(Case.number == text, words) if len(terms) == 1 else words
    if window is None:
        return condition
    # With the window's blocks the index scan keeps to them already: the floor is then a
    # filter (``+ 0``), not a range of the primary key that PostgreSQL would AND with the
    # index's bitmap (a bitmap of 90,000 ids: 3-4 ms, more than the window's own matches).
    floor = Case.id + 0 if blocks else Case.id
    return and_(condition, floor >= window[0])


def _contains(haystack, term: str):
    """``ILIKE '%term%'``; a word without upper or lower case (Chinese) is the same match as
    ``LIKE``, which PostgreSQL compares byte by byte instead of lower-casing every text
    (7 times faster on Chinese cases)."""
    pattern = f"%{_escape_like(term)}%"
    if term.lower() == term.upper():
        return haystack.like(pattern, escape="\\")
    return haystack.ilike(pattern, escape="\\")


def _index_condition(terms: list[str], haystack, windowed: bool,
                     blocks: list[str] | None) -> list:
    engine = db.session.get_bind().dialect.name
    if engine == "postgresql":
        return _pg_bigrams(terms, haystack, windowed=windowed, blocks=blocks)
    if engine == "sqlite":
        phrases = [t for t in terms if len(t) >= 3]
        if not phrases:
            return []
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in phrases)
        return [Case.id.in_(text_clause(f"SELECT rowid FROM {case_search.SQLITE_TABLE} "
                                        f"WHERE {case_search.SQLITE_TABLE} MATCH :fts_match")
                            .bindparams(fts_match=match).columns(Case.id))]
    return []


def _indexed_words(terms: list[str]) -> list[str]:
    """The words PostgreSQL's index is asked for: two or more characters, no \\x01."""
    return [t for t in terms if len(t) >= 2 and "\x01" not in t]


def _window_blocks(terms: list[str], window: tuple[int, int] | None) -> list[str] | None:
    """The index keys of the window's blocks of ids, when its search goes through
    PostgreSQL's index and it spans at most ``WINDOW_BLOCKS`` blocks; otherwise None."""
    if window is None or not _indexed_words(terms) or (
            db.session.get_bind().dialect.name != "postgresql"):
        return None
    keys = case_search.block_keys(*window)
    return keys if len(keys) <= WINDOW_BLOCKS else None


def _pg_bigrams(terms: list[str], haystack, *, windowed: bool = False,
                blocks: list[str] | None = None) -> list:
    """``hotline_search_keys(search_text, id) @> the bigrams of every word of two or more
    characters``, and ``&& the keys of the window's blocks`` when ``blocks`` are given.

    In a window (``windowed``) the wanted bigrams are a scalar sub-select, and only the
    rarest bigram of each word (``RAREST_BIGRAMS``). PostgreSQL plans the sub-select before
    knowing its value and takes the default share of matching cases (0.5 %) instead of
    multiplying the shares of the bigrams, which for words that are common but rare together
    predicts a handful of cases where there are thousands; with a handful predicted it would
    read every match of the archive and drop those outside the window afterwards.

    The window's blocks (``case_search.block_keys``) are keys of the same index: GIN
    intersects the bigrams' postings with the blocks' and skips to the window's part of each
    list, so a window costs its own matches, not the archive's (at 10,000,000 cases the
    window of 「宽巷子 烧烤」 read 4,765 postings of the archive in 10 ms, now 46 in 0.5 ms).
    A window of more blocks (the oldest part of a long archive) asks for none: the index's
    bitmap is ANDed with the id range (``BitmapAnd``), reading every posting of the rarest
    bigrams, which one bigram a word halves (within a window the other bigrams of a word
    narrow little: they occur together).
    """
    long = _indexed_words(terms)
    if not long:
        return []
    keys = func.hotline_search_keys(haystack, Case.id)
    if not windowed:
        wanted = func.hotline_bigrams(long[0])
        for term in long[1:]:
            wanted = wanted.op("||")(func.hotline_bigrams(term))
        return [keys.op("@>")(wanted)]
    shares = _bigram_shares()
    known = {b: shares[b] for t in long for b in _bigrams(t) if b in shares}
    wanted = text_clause(RAREST_BIGRAMS).bindparams(
        bigram_words=long, share_keys=list(known), share_values=list(known.values()))
    condition = [keys.op("@>")(wanted)]
    if blocks:
        condition.append(keys.op("&&")(
            text_clause(WINDOW_BLOCK_KEYS).bindparams(window_blocks=blocks)))
    return condition


# The keys of a window's blocks, a sub-select like the bigrams: planned at the default share.
WINDOW_BLOCK_KEYS = "(SELECT CAST(:window_blocks AS text[]))"


# The rarest bigram of each word: the bigrams are the database's (hotline_bigrams, its lower()),
# their shares of cases given from ``_bigram_shares`` (a bigram without one counts as rarest).
RAREST_BIGRAMS = """(SELECT coalesce(array_agg(r.b), '{}') FROM (
  SELECT DISTINCT ON (w.ord) k.b
  FROM unnest(CAST(:bigram_words AS text[])) WITH ORDINALITY AS w(word, ord)
  CROSS JOIN unnest(hotline_bigrams(w.word)) AS k(b)
  LEFT JOIN unnest(CAST(:share_keys AS text[]), CAST(:share_values AS real[])) AS s(b, share)
    ON s.b = k.b
  ORDER BY w.ord, coalesce(s.share, 0)) AS r)"""
# ANALYZE keeps the most common bigrams of the indexed expression with their shares of cases
# (pg_stats.most_common_elems): read once in a while, not on every search (planning a query
# over the pg_stats view costs more than the search's window).
SHARES_MAX_AGE = 600.0  # seconds
SHARES_SQL = """SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
WHERE schemaname = current_schema() AND tablename = :index"""


def _bigram_shares() -> dict[str, float]:
    held = current_app.extensions.get("hotline.text_search.shares")
    if held is not None and time.monotonic() - held[0] < SHARES_MAX_AGE:
        return held[1]
    row = db.session.execute(text_clause(SHARES_SQL),
                             {"index": case_search.PG_INDEX_NAME}).first()
    shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    current_app.extensions["hotline.text_search.shares"] = (time.monotonic(), shares)
    return shares


def _bigrams(term: str) -> list[str]:
    """The bigrams of a word as Python lowers it: only to look up their shares (the query
    takes the database's own bigrams)."""
    low = term.lower()
    return [low[i:i + 2] for i in range(len(low) - 1)]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def newest_first(build: Callable[..., object], *, before: int | None, limit: int,
                 options=()) -> list[Case]:
    """The ``limit`` largest ids (newest cases) of a text search, below ``before`` when given.

    ``build(indexed=..., window=...)`` is the search's SELECT of cases (every filter applied,
    no order), its words given to ``text_condition`` with these arguments. The ids below the
    cursor are searched in windows, newest first, each through the ids the windows before
    left:

    1. the newest ``SEARCH_WINDOW`` cases, read in id order without the index, and more such
       windows while the matches found predict the page within ``SCAN_BUDGET`` ids;
    2. then through the index (with the window's blocks of ids, or ANDed with its id range
       when it spans more), each window at most ``WINDOW_GROWTH`` times the span already
       searched;
    3. the last window has no lower bound (the rest of the archive, through the index).

    A window that holds the rest of the page ends the search: every window before held fewer
    than ``limit`` matches, all of them kept, and the rest of the page are the largest
    matching ids below it. So the page is exactly the whole query's, whatever the windows.
    """
    top = (before if before is not None
           else (db.session.scalar(select(func.max(Case.id))) or 0) + 1)  # exclusive
    rows: list[Case] = []
    span = 0  # ids from top down already searched
    step = max(SEARCH_WINDOW, 1)
    indexed = False
    while len(rows) < limit:
        high = top - span
        low = high - step
        last = low <= 1  # ids start at 1: this window reaches the oldest case
        # the window's floor is the text condition's (it knows what the index reads)
        query = build(indexed=indexed, window=None if last else (low, high)
                      ).where(Case.id < high)
        rows.extend(db.session.scalars(query.options(*options).order_by(Case.id.desc())
                                       .limit(limit - len(rows))))
        if last:
            break
        span += step
        step = _next_step(span, len(rows), limit)
        indexed = indexed or not rows or span + step > SCAN_BUDGET
    return rows


def _next_step(span: int, found: int, limit: int) -> int:
    """How many ids the next window spans: as many as the matches so far predict the page
    needs, twice over, but between the span already searched and ``WINDOW_GROWTH`` times it."""
    widest = span * (WINDOW_GROWTH - 1)
    if found == 0:
        return widest
    return max(span, min(2 * span * (limit - found) // found, widest))
