"""One look-up of a department (and a category) by its code, and one builder of the link to
the citizen's tracking page, used by every text that carries it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hotline.errors import InvalidInput, NotFound
from hotline.services import directory, followup, links, queries, stats
from hotline.services.actors import Actor
from hotline.services.intake import replies
from hotline.unit_of_work import unit_of_work

CASE = SimpleNamespace(number="20250101-0001", query_code="Ab3x9Q", answer="路灯已修复",
                       department=None, status=None, language="zh")


def test_the_tracking_link_carries_number_and_code(app):
    app.config["PUBLIC_URL"] = "https://12345.example.gov.cn/"
    with app.test_request_context():
        assert links.tracking_url(CASE) == (
            "https://12345.example.gov.cn/track?number=20250101-0001&code=Ab3x9Q")
        assert links.tracking_url(CASE, with_code=False) == (
            "https://12345.example.gov.cn/track?number=20250101-0001")


def test_the_tracking_link_escapes_what_it_carries(app):
    odd = SimpleNamespace(number="1 2", query_code="a&b=c")
    with app.test_request_context():
        assert links.tracking_url(odd).endswith("/track?number=1+2&code=a%26b%3Dc")


def test_the_acknowledgement_and_the_survey_use_the_one_link(app):
    app.config["PUBLIC_URL"] = "https://hotline.example"
    with app.test_request_context():
        link = links.tracking_url(CASE)
        assert link in replies.ack_text(CASE, "sms")
        assert link in followup.survey_text(CASE, reminder=False)
        assert link in followup.survey_text(CASE, reminder=True)


def test_pages_get_the_link_as_a_template_global(app):
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ tracking_url(case) }}").render(case=CASE)
    assert rendered.endswith("/track?number=20250101-0001&amp;code=Ab3x9Q")


def test_a_department_by_code_in_the_callers_transaction(world):
    assert directory.department_by_code("URBAN").name == "市城市管理委员会"
    with pytest.raises(NotFound):
        directory.department_by_code("NOPE")
    with pytest.raises(InvalidInput) as refused:
        directory.department_by_code("NOPE", field="department")
    assert refused.value.field == "department"


def test_an_inactive_department_is_found_only_when_inactive_ones_are_asked_for(world):
    with unit_of_work():
        directory.update_department("HOUSING", name="市住房和城乡建设局", district=None,
                                    active=False)
    assert directory.department_by_code("HOUSING").active is False
    with pytest.raises(InvalidInput):
        directory.department_by_code("HOUSING", active_only=True, field="department")


def test_a_category_by_code(world):
    assert directory.category_by_code("street_vending").name == "占道经营"
    with pytest.raises(NotFound):
        directory.category_by_code("nope")
    with pytest.raises(InvalidInput) as refused:
        directory.category_by_code("nope", field="category")
    assert refused.value.field == "category"


def test_filters_and_statistics_refuse_an_unknown_code_the_same_way(world):
    supervisor = Actor.system()
    with pytest.raises(InvalidInput) as by_filter:
        queries.search(supervisor, queries.CaseFilter(department="NOPE"))
    with pytest.raises(InvalidInput) as by_stats:
        stats.scope(supervisor, "NOPE")
    assert by_filter.value.field == by_stats.value.field == "department"
