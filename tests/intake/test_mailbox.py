"""The mayor's mailbox end to end: the form, its offline challenge, attachments screened by
content and kept outside the web root, the number and code on screen, who may see the files."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from hotline.channels import challenge as challenge_module
from hotline.extensions import db
from hotline.models import Attachment, CaseEvent
from hotline.services import gate, storage
from hotline.services.intake import process
from tests.intake.conftest import PDF, PNG, all_cases, messages, solved_challenge

LETTER = {"name": "陈女士", "phone": "13800001111", "address": "锦江区书院街88号",
          "title": "夜市摊贩占道", "type": "complaint",
          "content": "书院街晚上夜市摊位摆到人行道上，行人只能走机动车道。"}


def letter(**overrides) -> dict:
    token, answer = solved_challenge()
    return {**LETTER, "challenge_token": token, "answer": answer, **overrides}


def files(*items: tuple[str, bytes]) -> list:
    return [(io.BytesIO(data), name) for name, data in items]


def submit(client, data: dict, attachments: list | None = None):
    form = dict(data)
    if attachments:
        form["attachments"] = attachments
    return client.post("/mailbox", data=form, content_type="multipart/form-data")


def shown_number_and_code(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    number = re.search(r'id="case-number">(\d{14})<', html).group(1)
    code = re.search(r'id="query-code">([0-9A-Z]{6,8})<', html).group(1)
    return number, code


def test_form_has_question_token_and_honeypot_and_no_outside_resources(client, world):
    html = client.get("/mailbox").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in html and 'name="challenge_token"' in html
    assert 'name="contact_homepage"' in html and 'tabindex="-1"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "http://" not in html
    assert "https://" not in html


def test_letter_with_photo_and_pdf_becomes_a_case_shown_on_screen(app, client, world):
    response = submit(client, letter(), files(("现场.jpg", PNG), ("说明.pdf", PDF)))
    assert response.status_code == 200
    number, code = shown_number_and_code(response)
    [case] = all_cases()
    assert (case.number, case.query_code) == (number, code)
    assert case.channel.value == "mailbox" and case.request_type.value == "complaint"
    assert case.citizen.phone == "13800001111" and case.citizen.name == "陈女士"
    assert case.address == "锦江区书院街88号"
    rows = storage.of_case(case.id)
    assert [(a.filename, a.content_type) for a in rows] == [
        ("现场.png", "image/png"), ("说明.pdf", "application/pdf")]  # named by content
    for row in rows:
        path = storage.path_of(row)
        assert path.read_bytes() in (PNG, PDF)
        assert path.is_relative_to(Path(app.config["INSTANCE_PATH"]) / "uploads")
        assert not path.is_relative_to(Path(app.static_folder))
    [message] = messages()
    assert message.status == "case" and message.sender == "13800001111"


def test_citizen_with_the_code_gets_the_file_others_do_not(client, world):
    response = submit(client, letter(), files(("现场.png", PNG)))
    number, code = shown_number_and_code(response)
    [row] = db.session.query(Attachment).all()
    url = f"/track/{number}/files/{row.id}"
    with client.get(url, query_string={"code": code}) as good:
        assert good.status_code == 200 and good.data == PNG and good.mimetype == "image/png"
        assert "sandbox" in good.headers["Content-Security-Policy"]
    assert client.get(url, query_string={"code": "000000"}).status_code == 404
    assert client.get(f"/attachments/{row.id}").status_code in (302, 401)  # staff only
    tracked = client.post("/track", data={"number": number, "code": code})
    assert f"/files/{row.id}" in tracked.get_data(as_text=True)


def test_staff_see_attachments_on_the_case_page_and_other_departments_do_not(
        client, auth, world, api):
    response = submit(client, letter(), files(("现场.png", PNG)))
    number, _code = shown_number_and_code(response)
    [row] = db.session.query(Attachment).all()
    auth.login("agent")
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert f"/attachments/{row.id}" in page and "现场.png" in page
    with client.get(f"/attachments/{row.id}") as download:
        assert download.data == PNG
    api("agent").act(number, "dispatch", department="URBAN")
    auth.logout()
    auth.login("housing")
    assert client.get(f"/attachments/{row.id}").status_code == 404
    auth.logout()
    auth.login("urban")
    with client.get(f"/attachments/{row.id}") as download:
        assert download.status_code == 200


@pytest.mark.parametrize(("name", "data"), [
    ("照片.jpg", b"MZ\x90\x00 this is a windows program"),
    ("report.pdf", b"<html><script>alert(1)</script></html>"),
    ("scan.png", b"GIF87a"[:3] + b"not really"),
])
def test_attachment_refused_by_content_whatever_its_name(client, world, name, data):
    response = submit(client, letter(), files((name, data)))
    assert response.status_code == 422
    assert "附件" in response.get_data(as_text=True)
    assert all_cases() == [] and messages() == []
    assert db.session.query(Attachment).count() == 0


def test_too_many_or_too_large_files_are_refused(app, client, world):
    app.config["UPLOAD_MAX_FILES"] = 2
    response = submit(client, letter(), files(("a.png", PNG), ("b.png", PNG), ("c.png", PNG)))
    assert response.status_code == 422 and "最多 2 个" in response.get_data(as_text=True)
    app.config["UPLOAD_MAX_BYTES"] = 100
    response = submit(client, letter(), files(("big.png", PNG + b"\x00" * 200)))
    assert response.status_code == 422 and "过大" in response.get_data(as_text=True)
    assert all_cases() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("content", "   ", "不能为空"),
    ("phone", "", "不能为空"),
    ("phone", "call me maybe", "电话号码"),
    ("type", "gossip", "无效"),
])
def test_invalid_fields_keep_the_text_and_store_nothing(client, world, field, value, message):
    response = submit(client, letter(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert "书院街晚上夜市摊位" in html or field == "content"
    assert messages() == []


def test_wrong_answer_is_refused_counted_and_the_token_burnt(client, world):
    data = letter()
    wrong = str(int(data["answer"]) + 1)
    response = submit(client, {**data, "answer": wrong})
    assert response.status_code == 422 and "答案不正确" in response.get_data(as_text=True)
    assert gate.rejection_counts()["today"]["mailbox"] == 1
    again = submit(client, data)  # the right answer, but the question was already used
    assert again.status_code == 422 and all_cases() == []


def test_answer_too_fast_or_tampered_token(client, world):
    token, answer = solved_challenge(seconds_ago=0)
    response = submit(client, {**LETTER, "challenge_token": token, "answer": answer})
    assert response.status_code == 422 and "提交过快" in response.get_data(as_text=True)
    token, answer = solved_challenge()
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = submit(client, {**LETTER, "challenge_token": forged, "answer": answer})
    assert response.status_code == 403
    assert all_cases() == []


def test_honeypot_filled_by_a_bot_is_403(client, world):
    response = submit(client, letter(contact_homepage="http://spam.example"))
    assert response.status_code == 403
    assert messages() == [] and gate.rejection_counts()["today"]["mailbox"] == 1


def test_double_submit_shows_the_same_case_once(client, world):
    data = letter()
    first = shown_number_and_code(submit(client, data))
    second = shown_number_and_code(submit(client, data))
    assert first == second
    assert len(all_cases()) == 1 and len(messages()) == 1


def test_same_letter_again_next_day_joins_the_open_case(client, world):
    submit(client, letter())
    [case] = all_cases()
    response = submit(client, letter())
    html = response.get_data(as_text=True)
    assert "无需重复反映" in html and case.number in html and case.query_code not in html
    assert len(all_cases()) == 1
    assert db.session.query(CaseEvent).filter_by(case_id=case.id, action="repeat").count() == 1


def test_public_submissions_are_rate_limited_per_address(app, client, world):
    app.config["PUBLIC_SUBMIT_PER_HOUR"] = 2
    for i in range(2):
        response = submit(client, letter(content=f"第{i}封信，内容各不相同：{i * 7}"))
        assert response.status_code == 200
    assert submit(client, letter(content="第三封")).status_code == 429
    assert len(all_cases()) == 2


def test_mailbox_case_goes_to_auto_dispatch_when_the_classifier_is_there(
        app, client, world, monkeypatch):
    import types

    seen = []
    module = types.ModuleType("hotline.services.suggestions")
    module.auto_dispatch = lambda case: seen.append(case.number)
    monkeypatch.setattr(process, "suggestions", module)
    number, _ = shown_number_and_code(submit(client, letter()))
    assert seen == [number]


def test_failing_auto_dispatch_leaves_the_case_registered(app, client, world, monkeypatch):
    import types

    def broken(case):
        raise RuntimeError("model file missing")

    module = types.ModuleType("hotline.services.suggestions")
    module.auto_dispatch = broken
    monkeypatch.setattr(process, "suggestions", module)
    response = submit(client, letter())
    assert response.status_code == 200
    [case] = all_cases()
    assert case.status.value == "registered"


def test_the_question_cannot_be_read_from_the_page_markup(client, world, monkeypatch):
    """What a script sees of the challenge: a picture and an opaque token. Neither the
    question, nor its numbers, nor the answer is in the markup; the picture holds no text."""
    monkeypatch.setattr(challenge_module, "_make_question", lambda rng: ("17 \u00d7 19 = ?", 323))
    html = client.get("/mailbox").get_data(as_text=True)
    block = re.search(r'<div class="span2 challenge">(.*?)</div>\s*<div class="hp"', html,
                      re.S).group(1)
    picture = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', block).group(1)
    token = re.search(r'name="challenge_token" value="([^"]+)"', block).group(1)
    markup = block.replace(picture, "").replace(token, "")
    for secret in ("17", "19", "323", "\u00d7", "<svg", "<text", "\u7b49\u4e8e"):
        assert secret not in markup, secret
    version, issued, nonce, answer_mac, signature = token.split(".")  # no question in it
    assert "323" not in answer_mac + nonce + signature  # a keyed hash, not the answer
    png = base64.b64decode(picture)
    assert Image.open(io.BytesIO(png)).format == "PNG" and b"tEXt" not in png


def test_the_challenge_reads_in_one_language(client, world):
    """The question is digits and signs; its instructions follow the page's language."""
    english = client.get("/mailbox?lang=en").get_data(as_text=True)
    block = re.search(r'<div class="span2 challenge">(.*?)</div>\s*<div class="hp"', english,
                      re.S).group(1)
    block = re.sub(r'src="data:[^"]+"', "", block)
    assert "Arithmetic check" in block
    assert not re.search("[\u4e00-\u9fff]", block)
