"""The knowledge-base API: search without a token, articles, direct answers, transfer."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Case, CaseEvent, KbUse
from hotline.services.kb import articles, search, usage
from hotline.unit_of_work import unit_of_work
from tests.kb.conftest import FUND, GAS, actor


def _headers(world, username: str) -> dict:
    return {"Authorization": f"Bearer {world.tokens[username]}"}


def test_search_needs_no_token_and_favours_question_variants(client, kb):
    body = client.get("/api/v1/kb/search?q=新房子咋个通煤气").get_json()
    first = body["items"][0]
    assert first["id"] == kb["gas"]
    assert {"id", "title", "snippet", "score", "answer", "version"} <= set(first)
    assert first["question"] == "新房子要通天然气咋个办"


def test_synonyms_admins_add_reach_the_search(client, kb):
    assert client.get("/api/v1/kb/search?q=蜂窝煤").get_json()["items"] == []
    with unit_of_work():
        search.add_synonyms(actor("admin"), "蜂窝煤,燃气")
    items = client.get("/api/v1/kb/search?q=蜂窝煤").get_json()["items"]
    assert [i["id"] for i in items] == [kb["gas"]]


def test_create_returns_201_and_patch_moves_it_on(client, world):
    created = client.post("/api/v1/kb/articles", json=GAS, headers=_headers(world, "urban"))
    assert created.status_code == 201, created.get_json()
    article = created.get_json()
    assert article["status"] == "draft" and article["department"] == "URBAN"
    assert article["history"][0]["by"] == "urban-name"
    url = f"/api/v1/kb/articles/{article['id']}"
    refused = client.patch(url, json={"status": "published"}, headers=_headers(world, "urban"))
    assert refused.status_code == 403
    client.patch(url, json={"status": "in_review"}, headers=_headers(world, "urban"))
    done = client.patch(url, json={"status": "published", "note": "核对无误"},
                        headers=_headers(world, "supervisor"))
    assert done.status_code == 200 and done.get_json()["status"] == "published"
    assert client.get(url).get_json()["status"] == "published"  # anyone may read it now


def test_a_draft_is_not_readable_without_a_token(client, world):
    created = client.post("/api/v1/kb/articles", json=FUND, headers=_headers(world, "housing"))
    assert client.get(f"/api/v1/kb/articles/{created.get_json()['id']}").status_code == 404


def test_bad_fields_are_refused(client, world):
    response = client.post("/api/v1/kb/articles", json={"title": "x", "colour": 1},
                           headers=_headers(world, "supervisor"))
    assert response.status_code == 422
    response = client.post("/api/v1/kb/articles", json={"title": "x", "answer": "y",
                                                        "expires_on": "明天"},
                           headers=_headers(world, "supervisor"))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "expires_on"


def test_resolve_with_an_article_answers_and_counts_the_use(api, kb):
    case = api.create_case(type="consultation", content="请问公积金咋个取")
    done = api("agent").act(case["number"], "resolve", kb_article=kb["fund"])
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["status"] == "closed" and body["answer"] == FUND["answer"]
    event = db.session.scalars(select(CaseEvent).join(Case).where(
        Case.number == case["number"], CaseEvent.action == "resolve")).one()
    assert event.data == {"kb_article": kb["fund"], "kb_version": 1}
    db.session.expire_all()
    assert articles.get_article(None, kb["fund"]).use_count == 1
    assert db.session.query(KbUse).filter_by(article_id=kb["fund"]).count() == 1


def test_resolve_keeps_a_reply_given_and_refuses_an_unpublished_article(api, kb):
    case = api.create_case(type="consultation")
    with unit_of_work():
        articles.perform(actor("supervisor"), kb["gas"], "withdraw")
    refused = api("agent").act(case["number"], "resolve", kb_article=kb["gas"])
    assert refused.status_code == 409
    done = api("agent").act(case["number"], "resolve", kb_article=kb["fund"], content="我的话")
    assert done.get_json()["answer"] == "我的话"


def test_resolve_without_an_article_still_needs_content(api, world):
    case = api.create_case(type="consultation")
    assert api("agent").act(case["number"], "resolve").status_code == 422


def test_the_report_counts_direct_answers_and_gaps(api, kb):
    from datetime import timedelta

    from hotline.models import utcnow

    answered = api.create_case(type="consultation")
    api("agent").act(answered["number"], "resolve", kb_article=kb["gas"])
    plain = api.create_case(type="consultation", category="street_vending")
    api("agent").act(plain["number"], "resolve", content="已解答")
    api.create_case(type="consultation", category="street_vending")
    now = utcnow()
    figures = usage.report(now - timedelta(days=1), now + timedelta(minutes=1))
    assert figures["consultations"] == 3 and figures["direct_answers"] == 1
    assert figures["direct_answer_rate"] == round(1 / 3, 4)
    assert figures["top_articles"][0]["id"] == kb["gas"]
    assert [c["number"] for c in figures["without_article"]["cases"]] == [plain["number"]]
    assert figures["gaps"] == [{"code": "street_vending", "name": "占道经营", "cases": 2}]


def test_export_and_import_round_trip(client, kb, world):
    sup = _headers(world, "supervisor")
    csv_body = client.get("/api/v1/kb/export", headers=sup)
    assert csv_body.status_code == 200 and "燃气开户需要哪些材料" in csv_body.get_data(as_text=True)
    xlsx = client.get("/api/v1/kb/export?format=xlsx", headers=sup).get_data()
    rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "title") and len(rows) == 3
    new_rows = ("title,questions,answer,department,status\n"
                "居住证办理,暂住证咋个办|居住证在哪办,到派出所办理,URBAN,published\n")
    loaded = client.post("/api/v1/kb/import", headers=sup, data={
        "file": (io.BytesIO(new_rows.encode()), "kb.csv")})
    assert loaded.get_json() == {"created": 1, "updated": 0}
    assert [i["title"] for i in client.get("/api/v1/kb/search?q=暂住证").get_json()["items"]] \
        == ["居住证办理"]


def test_import_refuses_the_whole_file_on_a_bad_row(client, world):
    sup = _headers(world, "supervisor")
    body = "title,answer,department\n好的,答复,URBAN\n,没有标题,URBAN\n"
    refused = client.post("/api/v1/kb/import", headers=sup, data={
        "file": (io.BytesIO(body.encode()), "kb.csv")})
    assert refused.status_code == 422 and "3" in refused.get_json()["error"]["message"]
    assert articles.list_articles(actor("supervisor")) == []


def test_departments_cannot_export(client, world):
    assert client.get("/api/v1/kb/export", headers=_headers(world, "urban")).status_code == 403
