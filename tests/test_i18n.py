"""The English catalogue covers every message id the code uses, and nothing else.

When a test here fails, run ``python -m hotline.i18n_catalogue`` to list what is missing,
stale or broken (``--json`` prints the missing ids ready to fill in, ``--prune`` drops stale
entries).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotline.i18n_catalogue import (
    CATALOGUE,
    CJK_RE,
    check,
    extract_message_ids,
    load_catalogue,
    placeholders,
    scan,
)

ROOT = Path(__file__).resolve().parent.parent
HINT = "run `python -m hotline.i18n_catalogue` for details"


@pytest.fixture(scope="module")
def found() -> dict[str, set[str]]:
    return extract_message_ids(ROOT)


@pytest.fixture(scope="module")
def english() -> dict[str, str]:
    return load_catalogue(CATALOGUE)


def _listing(ids, found) -> str:
    return "\n".join(f"  {zh!r}  {sorted(found.get(zh, ()))[:2]}" for zh in sorted(ids))


def test_extractor_finds_the_known_kinds_of_message(found):
    assert "工作人员登录" in found                     # template _('...')
    assert "用户名或密码不正确" in found               # gettext alias in a blueprint
    assert "「{field}」不能为空" in found              # InvalidInput(...) in a service
    assert "需要有效的访问令牌" in found               # HTTP_MESSAGES value
    assert "服务器错误" in found                       # HTTP_MESSAGES.get default
    assert "待回访" in found and "签收" in found       # LABELS_ZH / ACTION_LABELS_ZH


def test_every_message_id_is_translated(found, english):
    missing = check(found, english)["missing"]
    assert not missing, f"{len(missing)} ids without English ({HINT}):\n" + _listing(
        missing, found)


def test_no_empty_translations(english):
    empty = [zh for zh, en in english.items() if not isinstance(en, str) or not en.strip()]
    assert not empty, f"empty translations: {empty}"


def test_translations_keep_the_placeholders(english):
    broken = {zh: en for zh, en in english.items() if placeholders(zh) != placeholders(en)}
    assert not broken, f"placeholders changed ({HINT}): {broken}"


def test_english_has_no_chinese(english):
    leftovers = {zh: en for zh, en in english.items() if CJK_RE.search(en)}
    assert not leftovers, f"Chinese characters in English text: {leftovers}"


def test_no_stale_entries(found, english):
    stale = check(found, english)["stale"]
    assert not stale, (f"{len(stale)} entries no longer used; remove them with "
                       f"`python -m hotline.i18n_catalogue --prune`:\n  "
                       + "\n  ".join(sorted(stale)))


def test_message_ids_are_plain_literals():
    """An f-string or computed text given to _() can never match a catalogue entry."""
    problems = scan(ROOT)[1]
    assert not problems, "\n".join(problems)


def test_placeholder_helper():
    fields = placeholders("「{field}」过长：最多 {max} 字，收到 {n} 字")
    assert fields == ["{field}", "{max}", "{n}"]
    assert placeholders("{n:,} 件 {{字面}}") == ["{n:,}"]
    assert placeholders("no fields") == []


def test_extractor_reads_each_kind_of_source(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        "{{ _('标题') }} {{ _(\"你好 {name}\", name=x) }} {{ _(title) }} {{ label(x) }}",
        encoding="utf-8")
    (tmp_path / "hotline").mkdir()
    (tmp_path / "hotline" / "mod.py").write_text(
        "from hotline.errors import ServiceError\n"
        "class Throttled(ServiceError):\n    pass\n"
        "class ParseError(ValueError):\n    pass\n"
        "LABELS_ZH = {'a': '甲'}\n"
        "HTTP_MESSAGES = {400: ('bad', '坏请求')}\n"
        "def f(x):\n"
        "    _('一')\n"
        "    gettext('二' if x else '三')\n"
        "    InvalidInput('「{field}」无效', field='x')\n"
        "    Throttled('太快了')\n"
        "    ParseError('解析失败 / parse failed')\n"
        "    ValueError('不是消息')\n"
        "    KeyError('no chinese')\n"
        "    HTTP_MESSAGES.get(500, ('error', '服务器错误'))\n",
        encoding="utf-8")
    ids = extract_message_ids(tmp_path)
    assert set(ids) == {"标题", "你好 {name}", "甲", "坏请求", "一", "二", "三",
                        "「{field}」无效", "太快了", "服务器错误"}
    assert ids["标题"] == {"templates/page.html:1"}
    assert ids["一"] == {"hotline/mod.py:9"}


def _chinese_runs(html: str) -> list[str]:
    return re.findall(f"{CJK_RE.pattern}+", html)


@pytest.mark.parametrize("url", ["/?lang=en", "/login?lang=en"])
def test_english_pages_have_no_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    # The language switch names Chinese in Chinese, as language switches do.
    assert [run for run in _chinese_runs(html) if run != "中文"] == []
    assert "中文" in html


def test_english_error_page_has_no_chinese(client):
    response = client.get("/no-such-page?lang=en")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert [run for run in _chinese_runs(html) if run != "中文"] == []
    assert "not found" in html


def test_chinese_is_still_the_default(client):
    html = client.get("/").get_data(as_text=True)
    assert "工单查询" in html and "English" in html


def test_a_staff_page_asks_an_english_reader_to_sign_in_in_english(client):
    client.set_cookie("lang", "en")
    response = client.get("/workbench")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please sign in first." in html
    assert [run for run in _chinese_runs(html) if run != "中文"] == []
