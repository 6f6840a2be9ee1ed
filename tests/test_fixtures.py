"""The test fixtures themselves: hermetic settings, and nothing left behind by a test."""

from __future__ import annotations

import os

import pytest

from hotline.extensions import db
from hotline.models import Department, SlaPolicy
from hotline.unit_of_work import unit_of_work

MARK = "FIXTURE_PROBE"


@pytest.fixture
def app_in_a_leaky_shell(monkeypatch, request):
    """The suite's app, built after a developer's shell exported a setting."""
    monkeypatch.setenv("HOTLINE_CONTENT_MAX_CHARS", "5")
    return request.getfixturevalue("app")


def test_a_setting_in_the_environment_does_not_reach_the_app(app_in_a_leaky_shell, api):
    assert os.environ["HOTLINE_CONTENT_MAX_CHARS"] == "5"
    assert app_in_a_leaky_shell.config["CONTENT_MAX_CHARS"] == 5000
    answer = api("agent").post("/api/v1/cases", json={"content": "书院街路口的路灯坏了三天了"})
    assert answer.status_code == 201, answer.get_json()


def test_no_hotline_setting_is_left_in_the_environment():
    leaked = [name for name in os.environ
              if name.startswith("HOTLINE_") and not name.startswith("HOTLINE_TEST_")]
    assert leaked == []


def test_a_commit_in_app_code_is_seen_by_the_test(app):
    with unit_of_work():
        db.session.add(Department(code=MARK, name="探针"))
    db.session.expire_all()
    assert db.session.query(Department).filter_by(code=MARK).count() == 1


def test_the_previous_tests_commit_is_gone(app):
    assert db.session.query(Department).filter_by(code=MARK).count() == 0


def test_the_reference_data_is_seeded(app):
    assert db.session.query(SlaPolicy).count() > 0


def test_a_rolled_back_savepoint_keeps_what_was_committed_before(app):
    with unit_of_work():
        db.session.add(Department(code=MARK, name="探针"))
    with pytest.raises(RuntimeError), unit_of_work():
        db.session.add(Department(code=MARK + "2", name="探针二"))
        db.session.flush()
        raise RuntimeError("refused")
    nested = db.session.begin_nested()
    db.session.add(Department(code=MARK + "3", name="探针三"))
    db.session.flush()
    nested.rollback()
    db.session.expire_all()
    codes = {d.code for d in db.session.query(Department).filter(Department.code.like("FIX%"))}
    assert codes == {MARK}


@pytest.mark.committing
def test_a_committing_test_starts_from_the_seeded_schema(app):
    assert db.session.query(Department).filter_by(code=MARK).count() == 0
    assert db.session.query(SlaPolicy).count() > 0
    with unit_of_work():
        db.session.add(Department(code=MARK, name="探针"))


def test_a_committing_tests_rows_are_gone_after_it(app):
    assert db.session.query(Department).filter_by(code=MARK).count() == 0
    assert db.session.query(SlaPolicy).count() > 0
