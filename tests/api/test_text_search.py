"""The supervisor's text search: the same results on SQLite (FTS5) and PostgreSQL (bigram
index), whatever the index narrows, because every word is still checked by ILIKE."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from hotline.extensions import db
from hotline.models import Case, case_search

# (title, content, address) of the cases every test here searches
CASES = (
    ("噪音扰民", "晚上广场舞音响太大", "武侯区玉林街道玉林北路"),
    ("路灯不亮", "玉林北路那一段晚上黑漆漆的", "武侯区玉林街道"),
    ("卫生间漏水", "楼上漏水到我家天花板", "锦江区书院街街道书院南街"),
    ("WiFi 信号差", "公园的免费wifi连不上", "青羊区少城街道宽巷子"),
    ("优惠不兑现", "商家写着100%返现但是不兑现", "成华区建设路"),
    ("编号 a_b", "系统里显示 axb 和 a_b 两种写法", None),
    ("烧烤油烟", "楼下烧烤店油烟直排", "青羊区少城街道宽巷子"),
)

SEARCHES = (
    "噪音",            # two characters, in a title
    "漏水",            # two characters, in title and content
    "玉林北路 噪音",    # a street (address) and a problem (title)
    "玉林北路 晚上",    # a street in content or address and a word of the content
    "宽巷子 烧烤 油烟",  # address, title and content of one case
    "宽巷子 噪音",      # two words each present, never in one case
    "wifi",            # ASCII ignores case, whatever case the text has
    "WIFI 宽巷子",
    "100%",            # % is a character, not a wildcard
    "a_b",             # _ is a character, not a wildcard (axb must not match)
    "%",
    "_",
    "路",              # one character: no index, the scan alone
    "金沙遗址路",       # nowhere
    "玉林北路噪音",     # the two words run together: no case has that string
)


def _expected(query: str, made: dict[str, tuple]) -> set[str]:
    terms = query.split()
    found = set()
    for number, (title, content, address) in made.items():
        haystack = f"{title} {content} {address or ''}".lower()
        if all(term.lower() in haystack for term in terms):
            found.add(number)
    return found


def _search(api, query: str) -> set[str]:
    body = api("supervisor").get("/api/v1/cases", query_string={"q": query, "limit": 200})
    assert body.status_code == 200, body.get_json()
    return {item["number"] for item in body.get_json()["items"]}


@pytest.fixture
def made(api) -> dict[str, tuple]:
    out = {}
    for title, content, address in CASES:
        fields = {"title": title, "content": content}
        if address:
            fields["address"] = address
        out[api.create_case(**fields)["number"]] = (title, content, address)
    return out


@pytest.mark.parametrize("query", SEARCHES)
def test_every_word_is_found_in_title_content_or_address(api, made, query):
    wanted = _expected(query, made)
    assert _search(api, query) == wanted


def test_the_searches_above_are_not_trivial(made):
    """The table covers hits and misses: a search that found everything or nothing would
    prove little."""
    sizes = {q: len(_expected(q, made)) for q in SEARCHES}
    assert sizes["噪音"] == 1 and sizes["漏水"] == 1 and sizes["玉林北路 晚上"] == 2
    assert sizes["a_b"] == 1 and sizes["100%"] == 1 and sizes["宽巷子 噪音"] == 0
    assert sizes["WIFI 宽巷子"] == 1 and sizes["宽巷子 烧烤 油烟"] == 1


def test_an_empty_search_filters_nothing(api, made):
    everything = _search(api, "")
    assert set(made) <= everything
    assert _search(api, "   ") == everything


def test_the_index_follows_edits(api, made):
    number = next(n for n, (title, *_) in made.items() if title == "路灯不亮")
    case = db.session.scalar(db.select(Case).where(Case.number == number))
    case.content = "抚琴西路的井盖不见了"
    db.session.flush()
    assert number not in _search(api, "黑漆漆")
    assert _search(api, "井盖") == {number}
    assert _search(api, "抚琴西路") == {number}


def test_the_engine_index_answers_the_search(api, made):
    """The query must use the index's own expression, or the index silently stops helping."""
    engine = db.session.get_bind().dialect.name
    from hotline.services.text_search import text_condition

    query = db.select(Case.id).where(text_condition("玉林北路 噪音"))
    compiled = str(query.compile(db.session.get_bind(),
                                 compile_kwargs={"literal_binds": True}))
    if engine == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in db.session.connection().exec_driver_sql(
            "EXPLAIN " + compiled))
        assert case_search.PG_INDEX_NAME in plan
    else:
        assert case_search.SQLITE_TABLE in compiled
        # the FTS table holds the cases written through the API (triggers on insert)
        count = db.session.scalar(text(f"SELECT count(*) FROM {case_search.SQLITE_TABLE} "
                                       f"WHERE {case_search.SQLITE_TABLE} MATCH '\"玉林北路\"'"))
        assert count == 2


@pytest.mark.parametrize(("window", "growth"), [(0, 10), (1, 2), (2, 10), (100, 10)])
def test_pages_are_the_same_whatever_window_holds_them(api, made, monkeypatch, window, growth):
    """``search`` reads the newest cases first, then widening windows of older ids through
    the index, then the rest of the archive: a page of one through the cursors must find
    every match once, in order, whichever window each page came from."""
    from hotline.services import text_search

    monkeypatch.setattr(text_search, "SEARCH_WINDOW", window)
    monkeypatch.setattr(text_search, "WINDOW_GROWTH", growth)
    for query in ("宽巷子", "玉林北路", "漏水", "路", "宽巷子 烧烤 油烟", "金沙遗址路"):
        for limit in (1, 2):
            seen, url = [], f"/api/v1/cases?limit={limit}&q={query}"
            while url:
                body = api("supervisor").get(url).get_json()
                seen.extend(item["number"] for item in body["items"])
                url = (f"/api/v1/cases?limit={limit}&q={query}&cursor={body['next_cursor']}"
                       if body["next_cursor"] else "")
            assert seen == sorted(_expected(query, made), reverse=True), (query, limit)


def test_the_next_window_follows_the_matches_found(monkeypatch):
    """No match yet: the widest step; some: as many ids as they predict, twice over, never
    less than the span searched nor more than the growth allows."""
    from hotline.services.text_search import _next_step

    monkeypatch.setattr("hotline.services.text_search.WINDOW_GROWTH", 10)
    assert _next_step(10_000, 0, 51) == 90_000
    assert _next_step(10_000, 40, 51) == 10_000      # 11 more at 4 a thousand: 5,500 ids
    assert _next_step(10_000, 5, 51) == 90_000      # 46 more at 0.5 a thousand: capped
    assert _next_step(10_000, 20, 51) == 31_000      # 31 more at 2 a thousand, twice over


def test_the_windows_ask_the_index_for_one_bigram_a_word(api, made, monkeypatch):
    """An id window through the PostgreSQL index asks for the rarest bigram of each word
    (fewer postings read); what it finds is still every match (the table above, windows of
    one id). On SQLite the FTS phrase is the same in every window."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the bigram index is PostgreSQL's")
    from hotline.services import text_search

    db.session.execute(text('ANALYZE "case"'))
    known = text_search._bigram_shares()  # the index's statistics, as ANALYZE left them
    assert known.get("玉林", 0) > 0 and all(0 < v <= 1 for v in known.values())
    shares = {"玉林": 0.3, "林北": 0.001, "北路": 0.2, "wi": 0.5, "if": 0.01, "fi": 0.2}
    monkeypatch.setattr(text_search, "_bigram_shares", lambda: shares)
    chosen = db.session.scalar(select(text_search._pg_bigrams(
        ["玉林北路", "噪音", "WiFi"], Case.search_text(), windowed=True)[0].right))
    # the rarest of each word (a bigram the statistics do not list counts as rarest), in
    # lower case as the index holds them
    assert chosen == ["林北", "噪音", "if"]


def test_a_window_asks_the_index_for_the_blocks_of_its_ids(api, made):
    """A window of the archive asks PostgreSQL's index for the keys of its blocks of ids,
    which are the keys the database gives each case (the two must agree, or the window would
    miss its cases); a window wider than WINDOW_BLOCKS blocks asks for none."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the search keys are PostgreSQL's")
    from hotline.models import case_search
    from hotline.services import text_search

    size = case_search.BLOCK_IDS
    assert case_search.block_keys(2 * size + 5, 4 * size + 1) == ["\x012", "\x013", "\x014"]
    assert case_search.block_keys(2 * size, 3 * size) == ["\x012"]
    for case_id in (1, size - 1, size, 7 * size + 3):
        keys = db.session.scalar(text("SELECT hotline_search_keys('玉林北路', :id)"),
                                 {"id": case_id})
        assert keys == ["玉林", "林北", "北路", *case_search.block_keys(case_id, case_id + 1)]
    words = ["玉林北路", "噪音"]
    narrow = text_search._window_blocks(words, (size, 3 * size))
    assert narrow == ["\x011", "\x012"]
    asked = text_search._pg_bigrams(words, Case.search_text(), windowed=True, blocks=narrow)
    assert db.session.scalar(select(asked[1].right)) == narrow
    assert text_search._window_blocks(
        words, (1, (text_search.WINDOW_BLOCKS + 1) * size)) is None  # too wide
    assert text_search._window_blocks(["路", "灯"], (size, 3 * size)) is None  # no index word


def test_a_window_through_the_blocks_reads_the_floor_as_a_filter(api, made):
    """With the blocks, the window's floor is ``id + 0 >= low``, so PostgreSQL does not AND
    the index's bitmap with a range of the primary key; without them it is the plain
    range, which the scan windows and SQLite read from the key."""
    from hotline.models import case_search
    from hotline.services import text_search

    size = case_search.BLOCK_IDS
    blocked = str(text_search.text_condition("玉林北路 噪音", window=(size, 2 * size))
                  .compile(dialect=db.session.get_bind().dialect))
    plain = str(text_search.text_condition("玉林北路 噪音", indexed=False,
                                           window=(size, 2 * size))
                .compile(dialect=db.session.get_bind().dialect))
    assert '"case".id >=' in plain and '"case".id + ' not in plain
    if db.session.get_bind().dialect.name == "postgresql":
        assert '"case".id + ' in blocked
    else:
        assert '"case".id + ' not in blocked and '"case".id >=' in blocked
