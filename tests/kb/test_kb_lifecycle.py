"""The article lifecycle and who may take each step; expired articles are never offered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.errors import Conflict, Forbidden, NotFound
from hotline.models import ArticleStatus
from hotline.services.kb import articles, search
from hotline.unit_of_work import unit_of_work
from tests.kb.conftest import FUND, GAS, actor, days, published


def test_department_drafts_submits_and_supervisor_publishes(world):
    housing, supervisor = actor("housing"), actor("supervisor")
    with unit_of_work():
        article = articles.create_article(housing, {**FUND, "department": None})
        assert article.status == ArticleStatus.DRAFT
        assert article.department.code == "HOUSING"  # a department writes for itself
        articles.perform(housing, article.id, "submit")
        assert article.status == ArticleStatus.IN_REVIEW
        articles.perform(supervisor, article.id, "publish")
    assert article.status == ArticleStatus.PUBLISHED
    assert [h["id"] for h in search.search("公积金")] == [article.id]


def test_a_department_cannot_publish(world):
    housing = actor("housing")
    with unit_of_work():
        article = articles.create_article(housing, FUND)
        articles.perform(housing, article.id, "submit")
    with pytest.raises(Forbidden), unit_of_work():
        articles.perform(housing, article.id, "publish")
    with pytest.raises(Forbidden), unit_of_work():
        articles.create_article(housing, FUND, status=ArticleStatus.PUBLISHED)
    assert articles.get_article(housing, article.id).status == ArticleStatus.IN_REVIEW


def test_a_department_cannot_touch_another_departments_article(world):
    with unit_of_work():
        article = articles.create_article(actor("housing"), FUND)
    with pytest.raises(NotFound):  # a draft of another department is not even visible
        articles.update_article(actor("urban"), article.id, {"title": "改"})
    with pytest.raises(Forbidden):
        articles.create_article(actor("urban"), {**GAS, "department": "HOUSING"})


def test_agents_cannot_write_articles(world):
    with pytest.raises(Forbidden):
        articles.create_article(actor("agent"), GAS)


def test_every_edit_is_kept_with_who_and_when(world):
    supervisor = actor("supervisor")
    with unit_of_work():
        article = articles.create_article(supervisor, GAS)
        articles.update_article(supervisor, article.id, {"answer": "新的答复"}, note="政策调整")
    history = articles.revisions(article)
    assert [r.number for r in history] == [1, 2]
    assert history[0].content["answer"] == GAS["answer"]
    assert history[1].content["answer"] == "新的答复"
    assert history[1].actor_label == "supervisor-name" and history[1].note == "政策调整"
    assert article.version == 2


def test_departments_change_to_a_published_article_waits_for_review(world):
    article_id = published(FUND)
    housing, supervisor = actor("housing"), actor("supervisor")
    with unit_of_work():
        articles.update_article(housing, article_id, {"answer": "提议的新答复"})
    article = articles.get_article(housing, article_id)
    assert article.answer == FUND["answer"] and article.version == 1  # still the reviewed text
    assert articles.pending_proposal(article).content["answer"] == "提议的新答复"
    with unit_of_work():
        articles.perform(supervisor, article_id, "approve_change")
    assert article.answer == "提议的新答复" and article.version == 2
    assert articles.pending_proposal(article) is None
    with pytest.raises(Conflict):
        articles.perform(supervisor, article_id, "approve_change")


def test_rejecting_a_draft_needs_a_reason_and_a_wrong_state_is_refused(world):
    supervisor = actor("supervisor")
    with unit_of_work():
        article = articles.create_article(supervisor, GAS)
    with pytest.raises(Conflict):
        articles.perform(supervisor, article.id, "reject")  # not in review
    with pytest.raises(Conflict):
        articles.perform(supervisor, article.id, "withdraw")


@pytest.mark.parametrize(("field", "offset"), [
    ("expires_on", -1),                             # past its expiry date
    ("review_on", 0),                               # due for review today
    ("effective_from", 3),                          # not in force yet
])
def test_articles_out_of_date_are_never_offered(world, field, offset):
    search.forget()
    supervisor = actor("supervisor")
    with unit_of_work():
        article = articles.create_article(supervisor, {**GAS, field: days(offset)})
        article.status = ArticleStatus.PUBLISHED  # published while it was current
        articles.touch()
    assert search.search("燃气开户") == []


def test_an_article_not_yet_in_force_is_offered_from_its_effective_date(world):
    search.forget()
    article_id = published(GAS, effective_from=days(3))
    today = articles.today_local()
    assert search.search("燃气开户", today=today) == []
    assert [h["id"] for h in search.search("燃气开户", today=today + timedelta(days=3))] \
        == [article_id]


def test_an_article_lapses_overnight_without_anyone_marking_it(world):
    search.forget()
    article_id = published(GAS, expires_on=days(2))
    today = articles.today_local()
    assert [h["id"] for h in search.search("燃气", today=today)] == [article_id]
    assert search.search("燃气", today=today + timedelta(days=3)) == []


def test_publishing_an_expired_article_is_refused(world):
    supervisor = actor("supervisor")
    with unit_of_work():
        article = articles.create_article(supervisor, {**GAS, "expires_on": days(-1),
                                                       "effective_from": days(-30)})
    with pytest.raises(Conflict):
        articles.perform(supervisor, article.id, "publish")


def test_expire_due_marks_lapsed_articles_and_lists_them_for_their_owner(world):
    article_id = published(FUND, expires_on=days(5))
    with unit_of_work():
        assert articles.expire_due(articles.today_local() + timedelta(days=6)) == 1
    housing = actor("housing")
    assert articles.get_article(housing, article_id).status == ArticleStatus.EXPIRED
    due = articles.due_for_upkeep(housing, articles.today_local() + timedelta(days=6))
    assert [a.id for a in due] == [article_id]
    assert articles.due_for_upkeep(actor("urban"), articles.today_local()) == []


def test_withdrawn_articles_leave_the_index(kb):
    with unit_of_work():
        articles.perform(actor("supervisor"), kb["gas"], "withdraw")
    assert kb["gas"] not in [h["id"] for h in search.search("燃气开户")]
