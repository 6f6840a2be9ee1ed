"""The leaders' mailboxes on the oversight dashboard and in ``GET /api/v1/stats``: letters,
answers and satisfaction per mailbox, each letter counted once with its worst rating."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from hotline.extensions import db
from hotline.models import Case, Satisfaction
from hotline.services import cases
from hotline.unit_of_work import unit_of_work
from tests.notices.test_leader_mailboxes import actor, answer_and_rate, mailboxes, send_letter


def letters(client) -> None:
    """Three letters: the mayor's answered and rated (one dissatisfied then satisfied), the
    secretary's waiting."""
    mailboxes()
    first = send_letter(client, mailbox="mayor")
    second = send_letter(client, mailbox="mayor", content="另一封信：小区噪音扰民。")
    send_letter(client, mailbox="secretary", content="第三封信：路灯不亮。")
    answer_and_rate(first, Satisfaction.SATISFIED, "摊位已清理。")
    answer_and_rate(second, Satisfaction.DISSATISFIED, "已处理噪音。")
    with unit_of_work():  # reopened by the rating: answered again, then rated satisfied
        cases.perform(actor("urban"), second.number, "reply", {"content": "已安装隔音设施。"})
    with unit_of_work():
        cases.rate(db.session.get(Case, second.id), Satisfaction.SATISFIED, None)


def test_the_dashboard_shows_each_mailbox_with_its_letters_and_satisfaction(
        world, client, auth):
    letters(client)
    auth.login("supervisor")
    html = client.get("/oversight").get_data(as_text=True)
    section = html[html.index('id="mailbox-figures"'):]
    section = section[:section.index("</section>")]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]
    text = [[re.sub(r"<[^>]+>", "", c).strip() for c in row] for row in cells]
    mayor = next(row for row in text if row and row[0] == "市长信箱")
    # letters, answered, rated; the second letter counts once, as dissatisfied
    assert mayor[2:8] == ["2", "2", "2", "1", "0", "1"] and mayor[8] == "50.0%"
    secretary = next(row for row in text if row and row[0] == "市委书记信箱")
    assert secretary[2:5] == ["1", "0", "0"] and secretary[8] in ("", "—", "-")
    assert "<svg" in section  # the bar chart beside the table


def test_the_mailbox_table_exports_with_the_others(world, client, auth):
    letters(client)
    auth.login("supervisor")
    answer = client.get("/oversight?format=xlsx&table=mailbox")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][0] == "市长信箱" and values[1][2] == 2


def test_the_stats_api_carries_the_mailboxes_and_a_department_sees_its_own(world, client,
                                                                            api):
    letters(client)
    body = api("supervisor").get("/api/v1/stats").get_json()
    rows = {row["mailbox"]: row for row in body["mailboxes"]}
    assert rows["mayor"]["letters"] == 2 and rows["mayor"]["satisfaction_rate"] == 0.5
    assert rows["mayor"]["office"] == "市政府办公厅" and rows["secretary"]["rated"] == 0
    assert api("urban").get("/api/v1/stats").get_json()["mailboxes"] == []
