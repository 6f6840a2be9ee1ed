"""主办/协办 through the API and the pages: one lead and any number of assisting departments;
the assisting ones see the case on their workbench and add their part as notes (with files),
only the lead replies; the citizen sees the lead and the assisting departments and is told
by the lead's name; a note's files stay internal."""

from __future__ import annotations

import io

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage
from tests.channels.samples.make_samples import tiny_png

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _co_handled(api, **fields) -> dict:
    return api.create_case(department="URBAN", assist=["HOUSING"],
                           citizen={"name": "陈先生", "phone": "13800001111"}, **fields)


def test_assisting_departments_at_registration_see_it_and_only_note(api):
    case = _co_handled(api)
    number = case["number"]
    assert case["department"] == "URBAN" and case["assisting"] == ["HOUSING"]
    assert case["events"][-1]["data"]["assist"] == ["HOUSING"]
    seen = api("housing").get(f"/api/v1/cases/{number}")
    assert seen.status_code == 200
    assert number in [c["number"] for c in api("housing").get("/api/v1/cases").get_json()["items"]]
    assert api("housing").act(number, "accept").status_code == 403
    noted = api("housing").post(f"/api/v1/cases/{number}/note",
                                json={"content": "住建局已约谈物业公司，限期整改"})
    assert noted.status_code == 200, noted.get_json()
    note = noted.get_json()["events"][-1]
    assert (note["action"], note["public"], note["department"]) == \
        ("note", False, "市住房和城乡建设局")
    assert note["data"]["part"] == "assisting"
    api("urban").act(number, "accept")
    refused = api("housing").act(number, "reply", content="我们答复")
    assert refused.status_code == 403
    assert "市城市管理委员会" in refused.get_json()["error"]["message"]
    replied = api("urban").act(number, "reply", content="城管与住建共同处理，已清理占道")
    assert replied.status_code == 200 and replied.get_json()["status"] == "replied"


def test_assisting_departments_at_dispatch_and_bad_codes_refused(api):
    number = api.create_case()["number"]
    wrong = api("agent").act(number, "dispatch", department="URBAN", assist="HOUSING")
    assert wrong.status_code == 422
    same = api("agent").act(number, "dispatch", department="URBAN", assist=["URBAN"])
    assert same.status_code == 422 and same.get_json()["error"]["field"] == "assist"
    done = api("agent").act(number, "dispatch", department="URBAN",
                            assist=["HOUSING", "JINJIANG"])
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["assisting"] == ["HOUSING", "JINJIANG"]
    bad = api("agent").post("/api/v1/cases", json={"content": "路灯坏了", "assist": ["HOUSING"]})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "assist"


def test_a_note_with_files_stays_internal(client, api):
    case = _co_handled(api)
    number = case["number"]
    response = api("housing").post(f"/api/v1/cases/{number}/note", data={
        "content": "现场照片见附件", "files": [(io.BytesIO(tiny_png()), "协办现场.png"),
                                        (io.BytesIO(PDF), "约谈记录.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    bad = api("housing").post(f"/api/v1/cases/{number}/note", data={
        "content": "见附件", "files": [(io.BytesIO(b"MZ\x90\x00 program"), "x.exe")]},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "files"
    track = client.get("/track", query_string={"number": number, "code": case["query_code"]})
    html = track.get_data(as_text=True)
    assert "协办现场.png" not in html and "现场照片见附件" not in html
    assert "市住房和城乡建设局" in html and "市城市管理委员会" in html  # lead and assisting


def test_the_lead_and_assisting_on_the_pages_and_the_notice_names_the_lead(client, auth, api):
    case = _co_handled(api)
    number = case["number"]
    auth.login("housing")
    workbench = client.get("/workbench").get_data(as_text=True)
    assisting = workbench.split('id="assisting-cases"')[1]
    assert number in assisting and "协办" in assisting
    response = client.post(f"/cases/{number}/note", data={
        "content": "住建局已到现场", "files": [(io.BytesIO(tiny_png()), "note.png")]},
        content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "note.png" in page and "住建局已到现场" in page
    assert 'id="case-assisting"' in page and 'data-action="reply"' not in page
    assert 'id="assist-hint"' in page
    auth.logout()
    track = client.get("/track", query_string={"number": number, "code": case["query_code"]})
    html = track.get_data(as_text=True)
    assert 'id="track-lead"' in html and 'id="track-assisting"' in html
    assert "note.png" not in html
    public = client.get(f"/api/v1/track/{number}", query_string={"code": case["query_code"]})
    assert public.get_json()["assisting"] == ["市住房和城乡建设局"]
    notice = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "notice").order_by(OutboxMessage.id.desc())).first()
    assert notice.data["kind"] == "dispatched_at_once"  # registered and dispatched: one SMS
    assert "市城市管理委员会" in notice.body and "住房" not in notice.body


def test_the_printed_sheet_names_the_lead_and_the_assisting(client, auth, api):
    number = _co_handled(api)["number"]
    auth.login("urban")
    sheet = client.get(f"/cases/{number}/print").get_data(as_text=True)
    assert "主办单位" in sheet and 'id="print-assisting"' in sheet
    assert "市住房和城乡建设局" in sheet.split('id="print-assisting"')[1]
