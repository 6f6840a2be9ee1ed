"""The map (GIS): every located case gets a point and an accuracy at registration; WeChat
locations and Open311 lat/long land exactly; the map page, the GeoJSON API and who sees what;
places imported by admins; the backfill of older cases."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.models import Case, CaseAction, CaseEvent, utcnow
from hotline.services import places
from tests.intake.conftest import WECHAT_TOKEN, post_wechat, wechat_text

TAIKOO = (30.6545, 104.0830)  # 远洋太古里, 锦江区春熙路街道


@pytest.fixture(autouse=True)
def _fresh_atlas():
    places.forget()
    yield
    places.forget()


def register(api, address, content="路灯不亮，晚上很黑", **extra):
    answer = api("agent").post("/api/v1/cases", json={"content": content, "address": address,
                                                      **extra})
    assert answer.status_code == 201, answer.get_json()
    return db.session.scalars(select(Case).where(
        Case.number == answer.get_json()["number"])).one()


@pytest.mark.parametrize(("address", "accuracy", "district", "street"), [
    ("青羊区宽窄巷子附近", "exact", "青羊区", "少城街道"),
    ("成都市武侯区玉林南路12号附2号", "street", "武侯区", "玉林街道"),
    ("锦江区书院街", "street", "锦江区", "书院街街道"),
    ("成华区某某路", "district", "成华区", None),
])
def test_registration_gives_a_point_and_its_accuracy(api, address, accuracy, district, street):
    case = register(api, address)
    assert (case.geo_accuracy.value, case.district, case.street) == (accuracy, district, street)
    assert 30.5 < case.lat < 30.8 and 103.9 < case.lon < 104.2


def test_an_unlocatable_case_has_no_point(api):
    case = register(api, "外地某处", content="咨询社保转移")
    assert (case.lat, case.lon, case.geo_accuracy, case.district) == (None, None, None, None)


def location_xml(lat, lon, msg_id="2001", sender="oCitizenOpenId0001", label="春熙路附近"):
    return (f"<xml><ToUserName><![CDATA[gh_account01]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{int(utcnow().timestamp())}</CreateTime>"
            f"<MsgType><![CDATA[location]]></MsgType><Location_X>{lat}</Location_X>"
            f"<Location_Y>{lon}</Location_Y><Scale>15</Scale>"
            f"<Label><![CDATA[{label}]]></Label><MsgId>{msg_id}</MsgId></xml>").encode()


@pytest.fixture
def wechat(app, world):
    app.config["WECHAT_TOKEN"] = WECHAT_TOKEN
    return app


def test_a_wechat_location_becomes_a_case_exactly_there(client, wechat):
    assert post_wechat(client, location_xml(*TAIKOO)).status_code == 200
    [case] = db.session.scalars(select(Case)).all()
    assert (case.lat, case.lon) == TAIKOO
    assert (case.geo_accuracy.value, case.district, case.street) == (
        "exact", "锦江区", "春熙路街道")


def test_a_wechat_location_after_the_text_moves_that_case_there(client, wechat):
    post_wechat(client, wechat_text("小区门口下水道堵了，污水漫到路上", msg_id="3001"))
    [case] = db.session.scalars(select(Case)).all()
    assert case.lat is None  # no place named yet
    assert post_wechat(client, location_xml(*TAIKOO, msg_id="3002")).status_code == 200
    db.session.expire_all()
    [case] = db.session.scalars(select(Case)).all()
    assert (case.lat, case.lon, case.geo_accuracy.value) == (*TAIKOO, "exact")
    supplement = db.session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.action == CaseAction.SUPPLEMENT)).one()
    assert supplement.data["position"] == list(TAIKOO)


def test_a_wechat_location_out_of_range_keeps_the_text_only(client, wechat):
    post_wechat(client, location_xml(123.4, 504.1, label="不知道是哪里"))
    [case] = db.session.scalars(select(Case)).all()
    assert case.lat is None and "123.4" in case.content


def test_open311_lat_long_land_exactly_beside_the_address_text(client, world):
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": world.tokens["agent"], "service_code": "street_vending",
        "description": "路口占道卖菜", "lat": "30.664100", "long": "104.053500",
        "address_string": "宽窄巷子东门"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    number = answer.get_json()[0]["service_request_id"]
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    assert (case.lat, case.lon, case.geo_accuracy.value) == (30.6641, 104.0535, "exact")
    assert (case.district, case.street, case.address) == ("青羊区", "少城街道", "宽窄巷子东门")
    shown = client.get(f"/open311/v2/requests/{number}.json").get_json()[0]
    assert shown["lat"] == 30.664 and abs(shown["long"] - 104.0535) < 0.001  # rounded


def test_open311_lat_out_of_range_is_a_422_naming_it(client, world):
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": world.tokens["agent"], "service_code": "street_vending",
        "description": "路口占道卖菜", "lat": "95", "long": "104.05"})
    assert answer.status_code == 400 or answer.status_code == 422
    assert "lat" in answer.get_data(as_text=True)
    assert db.session.scalars(select(Case)).all() == []


# ---------------------------------------------------------------- the page and the API


@pytest.fixture
def two_departments(api, world):
    """A case of URBAN's at 宽窄巷子 and one of HOUSING's at 太古里."""
    urban = register(api, "青羊区宽窄巷子附近", department="URBAN")
    housing = register(api, "太古里门口", department="HOUSING")
    return urban, housing


def test_supervisor_sees_the_city_and_zooms_to_a_district(client, auth, two_departments):
    urban, housing = two_departments
    auth.login("supervisor")
    page = client.get("/oversight/map").get_data(as_text=True)
    assert "<svg" in page and "hl-map-area" in page
    assert 'href="/oversight/map?district=' in page  # each district zooms
    assert "共 2 件" in page
    zoomed = client.get("/oversight/map?district=锦江区").get_data(as_text=True)
    assert "春熙路街道" in zoomed and "少城街道" not in zoomed  # that district's streets
    assert "共 1 件" in zoomed
    street = client.get("/oversight/map?district=锦江区&street=春熙路街道")
    assert housing.number in street.get_data(as_text=True)


def test_a_cell_lists_its_cases(client, auth, two_departments):
    urban, housing = two_departments
    auth.login("supervisor")
    page = client.get("/oversight/map").get_data(as_text=True)
    cells = re.findall(r'href="(/oversight/map\?[^"]*cell=[^"]*)"', page)
    assert len(cells) == 2
    listed = [client.get(href.replace("&amp;", "&")).get_data(as_text=True) for href in cells]
    assert sum(urban.number in text for text in listed) == 1
    assert sum(housing.number in text for text in listed) == 1


def test_a_department_sees_its_own_cases_only(client, auth, api, two_departments):
    urban, housing = two_departments
    auth.login("urban")
    page = client.get("/oversight/map").get_data(as_text=True)
    assert "共 1 件" in page and "青羊区" in page
    street = client.get("/oversight/map?district=锦江区&street=春熙路街道")
    assert housing.number not in street.get_data(as_text=True)
    assert client.get("/oversight/map?department=HOUSING").status_code == 403
    answer = api("urban").get("/api/v1/map/cases")
    assert [f["id"] for f in answer.get_json()["features"]] == [urban.number]
    assert api("urban").get("/api/v1/map/cases?department=HOUSING").status_code == 403
    assert client.get("/oversight/map").status_code == 200
    auth.logout()
    auth.login("agent")
    assert client.get("/oversight/map").status_code == 403


def test_api_answers_geojson(api, two_departments):
    urban, housing = two_departments
    answer = api("supervisor").get("/api/v1/map/cases?status=dispatched")
    body = answer.get_json()
    assert answer.status_code == 200 and body["type"] == "FeatureCollection"
    assert body["total"] == 2 and body["truncated"] is False
    first = body["features"][0]
    assert first["id"] == housing.number  # newest first
    assert first["geometry"] == {"type": "Point", "coordinates": [104.083, 30.6545]}
    assert first["properties"]["accuracy"] == "exact"
    one = api("supervisor").get("/api/v1/map/cases?limit=1&district=青羊区").get_json()
    assert [f["id"] for f in one["features"]] == [urban.number] and one["total"] == 1
    assert api("supervisor").get("/api/v1/map/cases?limit=0").status_code == 422
    assert api("supervisor").get("/api/v1/map/cases?status=lost").status_code == 422
    assert api("supervisor").get("/api/v1/map/cases?category=nope").status_code in (404, 422)


def test_the_case_page_shows_its_point(client, auth, two_departments):
    urban, _housing = two_departments
    auth.login("supervisor")
    page = client.get(f"/cases/{urban.number}").get_data(as_text=True)
    assert 'id="case-point"' in page and "hl-map-mark" in page and "30.66410" in page


# ---------------------------------------------------------------- imports and the backfill


def test_admin_imports_places_or_sees_every_problem(client, auth, api, world):
    auth.login("admin")
    bad = ("kind,name,district,street,lat,lon,keywords\n"
           "landmark,锦城公园,锦江区,,abc,104.11,\n"
           "statue,某像,锦江区,,30.6,104.1,\n").encode()
    answer = client.post("/admin/places", data={"file": (__import__("io").BytesIO(bad),
                                                         "bad.csv")},
                         content_type="multipart/form-data")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "第2行" in text and "lat" in text and "第3行" in text and "kind" in text
    good = ("kind,name,district,street,lat,lon,keywords\n"
            "landmark,锦城公园,锦江区,,30.6201,104.1101,锦城湖\n").encode()
    answer = client.post("/admin/places", data={"file": (__import__("io").BytesIO(good),
                                                         "good.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "锦城公园" in answer.get_data(as_text=True)
    case = register(api, "锦城湖边")
    assert (case.lat, case.lon, case.geo_accuracy.value) == (30.6201, 104.1101, "exact")
    auth.logout()
    auth.login("supervisor")
    assert client.get("/admin/places").status_code == 403


def test_backfill_locates_older_cases_without_touching_their_routing(api):
    kept = register(api, "锦江区书院街")
    open311 = register(api, "30.654500,104.083000")
    db.session.execute(update(Case).values(lat=None, lon=None, geo_accuracy=None))
    db.session.execute(update(Case).where(Case.id == kept.id).values(street=None))
    versions = {c.id: c.version for c in db.session.scalars(select(Case))}
    seen, located, last = places.backfill()
    assert (seen, located, last) == (2, 2, open311.id)
    db.session.expire_all()
    kept, open311 = db.session.get(Case, kept.id), db.session.get(Case, open311.id)
    # the point may be finer than the routing; the routing's street stays as it was
    assert (kept.geo_accuracy.value, kept.street) == ("street", None)
    assert (open311.lat, open311.lon, open311.geo_accuracy.value) == (*TAIKOO, "exact")
    assert {c.id: c.version for c in db.session.scalars(select(Case))} == versions
    assert places.backfill() == (0, 0, 0)


def test_registration_pays_little_for_locating(api):
    """Not a timing test (see bench/map_bench.py): locating reads no table when the atlas
    is fresh, so a registration issues the same statements with or without places."""
    register(api, "锦江区书院街")
    statements = []
    from sqlalchemy import event
    engine = db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        places.fix_for("锦江区书院街", None)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == []
