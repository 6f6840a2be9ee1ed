"""Leaders' mailboxes (领导信箱): the addressee a citizen chooses, the office that reads the
letter first and forwards it, the figures per mailbox, and the published answers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Case, Satisfaction, User
from hotline.services import cases, directory, leader_mailboxes
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work
from tests.intake.conftest import solved_challenge

LETTER = {"name": "陈女士", "phone": "13800001111", "address": "锦江区书院街88号",
          "title": "夜市摊贩占道", "type": "complaint",
          "content": "书院街晚上夜市摊位摆到人行道上。"
                     "我是陈女士，电话13800001111，住锦江区书院街88号。"}


def actor(username: str) -> Actor:
    return Actor.from_user(db.session.scalars(select(User).where(
        User.username == username)).one())


def mailboxes() -> None:
    with unit_of_work():
        directory.add_department("MAYOR_OFFICE", "市政府办公厅")
        directory.add_user("mayoroffice", role="department", password="Kestrel-lamp-river-72",
                           department="MAYOR_OFFICE", display_name="办公厅")
        leader_mailboxes.save_mailbox("mayor", name="市长信箱", holder="市长", kind="mayor",
                                      office="MAYOR_OFFICE", position=1)
        leader_mailboxes.save_mailbox("secretary", name="市委书记信箱", holder="市委书记",
                                      kind="party_secretary", office="MAYOR_OFFICE",
                                      position=0)


def send_letter(client, **fields) -> Case:
    token, answer = solved_challenge()
    response = client.post("/mailbox", data={**LETTER, "challenge_token": token,
                                             "answer": answer, **fields},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    number = re.search(r'id="case-number">(\d{14})<', response.get_data(as_text=True)).group(1)
    return db.session.scalars(select(Case).where(Case.number == number)).one()


def test_the_form_lists_the_mailboxes_and_a_letter_goes_to_its_office_first(world, client):
    mailboxes()
    page = client.get("/mailbox?to=mayor").get_data(as_text=True)
    assert 'value="secretary"' in page and re.search(r'value="mayor"\s+selected', page)
    case = send_letter(client, mailbox="mayor", publish="1")
    assert case.mailbox.code == "mayor" and case.publish_consent
    assert case.department.code == "MAYOR_OFFICE" and case.status.value == "dispatched"


def test_an_unknown_mailbox_is_refused_by_field(world, client):
    mailboxes()
    token, answer = solved_challenge()
    response = client.post("/mailbox", data={**LETTER, "challenge_token": token,
                                             "answer": answer, "mailbox": "nosuch"},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(
        as_text=True)


def test_the_office_forwards_the_letter_like_a_dispatch(world, client, auth):
    mailboxes()
    case = send_letter(client, mailbox="mayor")
    with pytest.raises(cases.NotFound):  # another department does not even see it
        leader_mailboxes.forward(actor("urban"), case.number, "HOUSING")
    auth.login("mayoroffice")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-action="forward"' in page and "市长信箱" in page
    client.post(f"/cases/{case.number}/forward", data={"department": "URBAN",
                                                        "note": "请城管委办理"})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.department.code == "URBAN" and case.mailbox.code == "mayor"
    events = [e.action.value for e in cases.timeline(case, public_only=False)]
    assert events[-2:] == ["dispatch", "dispatch"]
    refused = client.post(f"/cases/{case.number}/forward", data={"department": "HOUSING"})
    assert refused.status_code == 404  # the office no longer holds it: not its case


def answer_and_rate(case: Case, satisfaction: Satisfaction, text: str) -> None:
    urban = actor("urban")
    with unit_of_work():
        if case.department.code != "URBAN":
            leader_mailboxes.forward(actor("mayoroffice"), case.number, "URBAN")
        cases.perform(urban, case.number, "accept")
        cases.perform(urban, case.number, "reply", {"content": text})
    with unit_of_work():
        cases.rate(db.session.get(Case, case.id), satisfaction, None)


def test_figures_per_mailbox_and_published_answers_without_personal_data(world, client,
                                                                          api):
    mailboxes()
    first = send_letter(client, mailbox="mayor", publish="1")
    second = send_letter(client, mailbox="mayor", content="另一封信：小区噪音扰民。")
    send_letter(client, mailbox="secretary", content="第三封信：路灯不亮。")
    answer_and_rate(first, Satisfaction.SATISFIED, "已联系陈女士（13800001111），摊位已清理。")
    answer_and_rate(second, Satisfaction.DISSATISFIED, "已处理噪音。")
    rows = {r.code: r for r in leader_mailboxes.stats()}
    assert (rows["mayor"].letters, rows["mayor"].answered, rows["mayor"].rated) == (2, 2, 2)
    assert rows["mayor"].satisfaction_rate == 0.5 and rows["secretary"].letters == 1
    body = api("supervisor").get("/api/v1/stats/mailboxes").get_json()
    assert {r["mailbox"]: r["letters"] for r in body["items"]} == {"secretary": 1, "mayor": 2}
    assert api("urban").get("/api/v1/stats/mailboxes").status_code == 403

    page = client.get("/mailboxes/mayor").get_data(as_text=True)
    assert first.number in page and "摊位已清理" in page
    assert second.number not in page  # no consent
    for personal in ("陈女士", "13800001111", "书院街88号", "138****1111"):
        assert personal not in page
    index = client.get("/mailboxes").get_data(as_text=True)
    assert "市委书记信箱" in index and first.number in index
    assert client.get("/mailboxes/nosuch").status_code == 404


def test_the_admin_page_keeps_the_list_and_shows_the_figures(world, client, auth):
    mailboxes()
    auth.login("admin")
    client.post("/admin/mailboxes", data={"code": "official-1", "name": "张局长信箱",
                                          "holder": "市住建局局长", "kind": "department_head",
                                          "office": "HOUSING", "position": "5"})
    page = client.get("/admin/mailboxes").get_data(as_text=True)
    assert "张局长信箱" in page and 'id="mailbox-stats"' in page
    bad = client.post("/admin/mailboxes", data={"code": "x y", "name": "n", "office": "HOUSING"},
                      follow_redirects=True)
    assert "代码" in bad.get_data(as_text=True)
