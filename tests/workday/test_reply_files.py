"""A department's reply may carry photos and PDFs (the mailbox's checks), through the page
and the API; the citizen sees them on the tracking page."""

from __future__ import annotations

import io

from tests.channels.samples.make_samples import tiny_png

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _in_progress(api) -> dict:
    case = api.create_case(department="URBAN")
    api("urban").act(case["number"], "accept")
    return case


def test_reply_with_files_through_the_api_shown_to_the_citizen(client, api):
    case = _in_progress(api)
    response = api("urban").post(f"/api/v1/cases/{case['number']}/reply", data={
        "content": "摊点已清理，见现场照片",
        "files": [(io.BytesIO(tiny_png()), "现场.png"), (io.BytesIO(PDF), "整改通知.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "replied"
    page = client.get("/track", query_string={"number": case["number"],
                                               "code": case["query_code"]})
    html = page.get_data(as_text=True)
    assert "现场.png" in html and "整改通知.pdf" in html


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_by_name(client, api):
    case = _in_progress(api)
    response = api("urban").post(f"/api/v1/cases/{case['number']}/reply", data={
        "content": "见附件", "files": [(io.BytesIO(b"MZ\x90\x00 not a picture"), "x.exe")]},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "files"
    assert api("urban").get(f"/api/v1/cases/{case['number']}").get_json()["status"] == \
        "in_progress"


def test_reply_with_a_photo_through_the_page(client, auth, api):
    case = _in_progress(api)
    auth.login("urban")
    response = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理", "checked": "1", "files": [(io.BytesIO(tiny_png()), "after.png")]},
        content_type="multipart/form-data", follow_redirects=True)
    assert "after.png" in response.get_data(as_text=True)


def test_the_reply_form_takes_files(client, auth, api):
    case = _in_progress(api)
    auth.login("urban")
    page = client.get(f"/cases/{case['number']}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="files"' in page


def _held_tokens(html: str) -> list[str]:
    import re

    return re.findall(r'name="held" value="([^"]+)"', html)


def test_a_held_draft_keeps_its_files_until_it_is_sent(client, auth, api):
    case = _in_progress(api)
    auth.login("urban")
    held = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理。", "files": [(io.BytesIO(tiny_png()), "现场.png")]},
        content_type="multipart/form-data")
    page = held.get_data(as_text=True)
    assert 'id="draft-inspection"' in page and 'id="held-files"' in page and "现场.png" in page
    tokens = _held_tokens(page)
    assert len(tokens) == 1
    again = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理。", "held": tokens, "files": [(io.BytesIO(PDF), "通知.pdf")]},
        content_type="multipart/form-data")
    tokens = _held_tokens(again.get_data(as_text=True))
    assert len(tokens) == 2  # held a second time: both kept
    sent = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理。", "checked": "1", "held": tokens}, follow_redirects=True)
    assert "现场.png" in sent.get_data(as_text=True) and "通知.pdf" in sent.get_data(as_text=True)
    track = client.get("/track", query_string={"number": case["number"],
                                                "code": case["query_code"]})
    assert "现场.png" in track.get_data(as_text=True)


def test_a_held_file_cannot_be_claimed_by_someone_else_or_forged(client, auth, api):
    case = _in_progress(api)
    auth.login("urban")
    page = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理。", "files": [(io.BytesIO(tiny_png()), "a.png")]},
        content_type="multipart/form-data").get_data(as_text=True)
    [token] = _held_tokens(page)
    auth.logout()
    auth.login("urban2")  # same department, another person
    refused = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理。", "checked": "1", "held": [token]}, follow_redirects=True)
    assert "暂存的附件已失效" in refused.get_data(as_text=True)
    forged = client.post(f"/cases/{case['number']}/reply", data={
        "content": "已处理。", "checked": "1", "held": [token[:-3] + "abc"]},
        follow_redirects=True)
    assert "暂存的附件已失效" in forged.get_data(as_text=True)
    assert api("urban").get(f"/api/v1/cases/{case['number']}").get_json()["status"] == \
        "in_progress"
