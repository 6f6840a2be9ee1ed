""""My cases": a mobile number, a one-time code by SMS, every case made with that number."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage, Role, TrackCode, utcnow
from hotline.services import my_cases, registration
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

AGENT = Actor(label="话务员甲", role=Role.AGENT)
MOBILE = "13800002222"


def register(phone=MOBILE, content="小区门口路灯坏了一个月"):
    with unit_of_work(keep_loaded=True):
        return registration.register_case(AGENT, registration.NewCase(
            content=content, citizen_phone=phone))


def last_code(mobile=MOBILE) -> str:
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "otp", OutboxMessage.recipient == mobile)
        .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"\d{6}", message.body).group(0)


def lookup(client, **body):
    return client.post("/api/v1/track/lookup", json=body)


def test_a_code_by_sms_then_every_case_of_the_number(world, client):
    first, second = register(), register(content="噪音扰民")
    register(phone="13900003333")
    response = lookup(client, phone=MOBILE)
    assert response.status_code == 202 and response.get_json()["expires_in"] == 300
    answer = lookup(client, phone=MOBILE, otp=last_code())
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [i["number"] for i in items] == [second.number, first.number]
    assert items[1]["query_code"] == first.query_code and items[1]["status"] == "registered"
    assert items[1]["title"] and items[1]["link"].endswith(f"code={first.query_code}")


def test_only_hashes_are_stored(world, client):
    lookup(client, phone=MOBILE)
    row = db.session.scalars(select(TrackCode)).one()
    assert MOBILE not in row.phone_hash and last_code() not in row.code_hash
    assert len(row.code_hash) == 64


def test_a_code_is_single_use(world, client):
    register()
    lookup(client, phone=MOBILE)
    code = last_code()
    assert lookup(client, phone=MOBILE, otp=code).status_code == 200
    again = lookup(client, phone=MOBILE, otp=code)
    assert again.status_code == 422 and again.get_json()["error"]["field"] == "otp"


def test_a_code_expires_after_five_minutes(world, app):
    with unit_of_work():
        my_cases.request_code(MOBILE, "c1", now=utcnow() - timedelta(minutes=6))
    code = last_code()
    with unit_of_work():
        try:
            my_cases.verify(MOBILE, code, "c1")
        except my_cases.InvalidInput as refused:
            assert refused.field == "otp"
        else:
            raise AssertionError("an expired code was accepted")


def test_a_wrong_code_dies_after_five_tries(world, client):
    lookup(client, phone=MOBILE)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert lookup(client, phone=MOBILE, otp=wrong).status_code == 422
    # the right code no longer works: the code died (or the number waits)
    assert lookup(client, phone=MOBILE, otp=code).status_code in (422, 429)


def test_asking_again_at_once_is_throttled_per_number_and_per_client(world, client):
    assert lookup(client, phone=MOBILE).status_code == 202
    again = lookup(client, phone=MOBILE)
    assert again.status_code == 429 and int(again.headers.get("Retry-After", "60")) > 0
    for n in range(4):
        assert lookup(client, phone=f"1370000{n:04d}").status_code == 202
    assert lookup(client, phone="13600009999").status_code == 429  # sixth number, same client


def test_bad_input_names_the_field(world, client):
    assert lookup(client, phone="02887654321").get_json()["error"]["field"] == "phone"
    assert lookup(client, phone="").get_json()["error"]["field"] == "phone"
    assert lookup(client, phone=12).status_code == 422
    assert lookup(client, phone=MOBILE, extra=1).status_code == 422


def test_the_page_walks_through_the_steps(world, client):
    case = register()
    page = client.get("/track/mine")
    assert page.status_code == 200 and 'name="phone"' in page.get_data(as_text=True)
    sent = client.post("/track/mine", data={"op": "send", "phone": MOBILE})
    assert sent.status_code == 202 and "138****2222" in sent.get_data(as_text=True)
    shown = client.post("/track/mine", data={"op": "verify", "phone": MOBILE,
                                             "otp": last_code()})
    body = shown.get_data(as_text=True)
    assert shown.status_code == 200 and case.number in body and case.query_code in body
    wrong = client.post("/track/mine", data={"op": "verify", "phone": MOBILE, "otp": "1"})
    assert wrong.status_code == 422


def test_the_lookup_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "post" in document["paths"]["/api/v1/track/lookup"]
