"""Knowledge-base pages: public search, management, the console's direct answer, upkeep."""

from __future__ import annotations

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import ArticleStatus, Case, CaseStatus, KbArticle
from hotline.services.kb import articles
from hotline.unit_of_work import unit_of_work
from tests.kb.conftest import FUND, actor, days, published


def test_public_page_finds_published_articles_without_an_account(client, kb):
    page = client.get("/kb?q=公积金咋个取").get_data(as_text=True)
    assert "住房公积金提取条件" in page
    assert client.get(f"/kb/{kb['fund']}").status_code == 200


def test_public_page_never_shows_a_draft(client, world):
    with unit_of_work():
        draft = articles.create_article(actor("housing"), FUND)
    assert "住房公积金提取条件" not in client.get("/kb?q=公积金").get_data(as_text=True)
    assert client.get(f"/kb/{draft.id}").status_code == 404


def test_console_and_mailbox_carry_the_search_box(client, auth, world):
    assert 'id="kb-box"' in client.get("/mailbox").get_data(as_text=True)
    auth.login("agent")
    console = client.get("/agent").get_data(as_text=True)
    assert 'id="kb-box"' in console and 'data-kb-mode="answer"' in console


def test_one_action_answers_the_caller_and_closes_the_consultation(client, auth, kb):
    auth.login("agent")
    response = client.post("/kb/answer", data={
        "phone": "13800001111", "content": "请问公积金能不能取出来买房", "kb_article": kb["fund"]})
    assert response.status_code == 303
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.status == CaseStatus.CLOSED and case.answer == FUND["answer"]
    assert case.request_type.value == "consultation"
    assert db.session.get(KbArticle, kb["fund"]).use_count == 1


def test_department_drafts_through_the_form_and_cannot_publish(client, auth, world):
    auth.login("housing")
    response = client.post("/kb/manage/new", data={
        "title": "公积金贷款额度", "answer": "最高额度 70 万元。",
        "questions": "能贷好多\n额度多少"})
    assert response.status_code == 303
    article = db.session.scalars(select(KbArticle)).one()
    assert article.questions == ["能贷好多", "额度多少"] and article.department.code == "HOUSING"
    client.post(f"/kb/manage/{article.id}/publish")
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id).status == ArticleStatus.DRAFT
    client.post(f"/kb/manage/{article.id}/submit")
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id).status == ArticleStatus.IN_REVIEW


def test_articles_due_for_review_show_on_the_owners_workbench(client, auth, world):
    article_id = published(FUND, review_on=days(20))
    with unit_of_work():
        db.session.get(KbArticle, article_id).review_on = articles.today_local()
    auth.login("housing")
    page = client.get("/workbench").get_data(as_text=True)
    assert 'id="kb-due"' in page and "住房公积金提取条件" in page
    auth.logout()
    auth.login("urban")
    assert 'id="kb-due"' not in client.get("/workbench").get_data(as_text=True)


def test_the_report_page_is_for_supervisors(client, auth, kb):
    auth.login("supervisor")
    page = client.get("/kb/report")
    assert page.status_code == 200 and 'id="kb-report"' in page.get_data(as_text=True)
    auth.logout()
    auth.login("agent")
    assert client.get("/kb/report").status_code == 403


def test_supervisor_adds_a_synonym_group(client, auth, kb):
    auth.login("supervisor")
    client.post("/kb/synonyms", data={"words": "蜂窝煤，燃气"})
    assert client.get("/api/v1/kb/search?q=蜂窝煤").get_json()["items"][0]["id"] == kb["gas"]
