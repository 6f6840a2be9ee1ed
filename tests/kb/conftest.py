"""Helpers for the knowledge-base tests: actors of the test world and ready articles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import User
from hotline.services.actors import Actor
from hotline.services.kb import articles, search
from hotline.unit_of_work import unit_of_work

GAS = {"title": "燃气开户需要哪些材料", "questions": ["新房子要通天然气咋个办", "燃气怎么开户"],
       "answer": "携带房产证和身份证原件到燃气营业厅办理开户，工作人员上门安装燃气表。",
       "department": "URBAN", "tags": ["燃气", "开户"]}
FUND = {"title": "住房公积金提取条件", "questions": ["买房可以提取公积金吗"],
        "answer": "购买自住住房、偿还房贷本息、租房可申请提取住房公积金，凭购房合同办理。",
        "department": "HOUSING"}


def actor(username: str) -> Actor:
    """The world's user as a service actor."""
    return Actor.from_user(db.session.scalars(select(User).where(
        User.username == username)).one())


def published(data: dict, **dates) -> int:
    """An article drafted by a supervisor and published; its id."""
    supervisor = actor("supervisor")
    with unit_of_work():
        article = articles.create_article(supervisor, {**data, **dates})
        articles.perform(supervisor, article.id, "publish")
        return article.id


@pytest.fixture
def kb(world):
    """The world with a gas and a housing-fund article published, and a cold index."""
    search.forget()
    ids = {"gas": published(GAS), "fund": published(FUND)}
    yield ids
    search.forget()


def days(n: int) -> str:
    """A date ``n`` days from the hotline's today, as the API takes it."""
    return (articles.today_local() + timedelta(days=n)).isoformat()
