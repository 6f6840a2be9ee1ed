"""Where an address or a position is, with the shipped demo city and the routing gazetteer:
the point, its district and street, and the accuracy (exact, street, district)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import classifier
import hotline
from classifier.gazetteer import Gazetteer
from hotline.geo.atlas import Atlas, distance_m
from hotline.geo.features import read_places

DATA = Path(hotline.__file__).parent / "data" / "places.geojson"
GAZETTEER = Path(classifier.__file__).parent / "data" / "gazetteer.csv"


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas(read_places(DATA.read_bytes(), "places.geojson"), Gazetteer.load(GAZETTEER))


@pytest.mark.parametrize(("address", "accuracy", "district", "street"), [
    ("青羊区宽窄巷子附近", "exact", "青羊区", "少城街道"),
    ("太古里门口", "exact", "锦江区", "春熙路街道"),
    ("玉林小区6栋", "exact", "武侯区", "玉林街道"),
    ("四川省成都市锦江区春熙路街道红星路二段85号", "street", "锦江区", "春熙路街道"),
    ("成都市武侯区玉林南路12号附2号", "street", "武侯区", "玉林街道"),
    ("锦江区书院街", "street", "锦江区", "书院街街道"),
    ("金牛区抚琴西路3号", "street", "金牛区", "抚琴街道"),
    ("九眼桥南", "street", "武侯区", "望江路街道"),  # across the river from 九眼桥
    ("成华区某某路", "district", "成华区", None),
])
def test_addresses(atlas, address, accuracy, district, street):
    fix = atlas.locate(address)
    assert (fix.accuracy, fix.district, fix.street) == (accuracy, district, street)
    assert atlas.where(fix.lat, fix.lon)[0] == district  # the point lies in its district


def test_unknown_place_is_none(atlas):
    assert atlas.locate("北京市朝阳区建国路88号") is None
    assert atlas.locate(None, None) is None


def test_text_refines_a_district_only_address(atlas):
    fix = atlas.locate("锦江区", "太古里旁边的路灯坏了")
    assert (fix.accuracy, fix.street) == ("exact", "春熙路街道")


def test_text_in_another_district_does_not_move_the_address(atlas):
    fix = atlas.locate("锦江区书院街", "我住在宽窄巷子，来反映书院街的问题")
    assert (fix.district, fix.street) == ("锦江区", "书院街街道")


def test_a_position_finds_its_district_and_street(atlas):
    fix = atlas.at(30.6545, 104.0830)  # 远洋太古里
    assert (fix.accuracy, fix.district, fix.street) == ("exact", "锦江区", "春熙路街道")
    assert atlas.where(39.9, 116.4) == (None, None)  # Beijing is off this map


def test_streets_tile_their_district(atlas):
    """Every street's centre lies in its own outline and its district; the outlines of
    one district do not overlap (a sample of points falls in exactly one street)."""
    for (district, name), area in atlas.streets.items():
        assert area.contains(*area.center), name
        assert atlas.where(area.center[1], area.center[0]) == (district, name)
    box = atlas.bounds()
    for i in range(40):
        for j in range(40):
            lon = box[0] + (box[2] - box[0]) * (i + 0.5) / 40
            lat = box[1] + (box[3] - box[1]) * (j + 0.5) / 40
            district, _street = atlas.where(lat, lon)
            if district:
                holders = [n for (d, n), a in atlas.streets.items()
                           if d == district and a.contains(lon, lat)]
                assert len(holders) == 1, (lat, lon, holders)


def test_every_gazetteer_keyword_lands_in_its_street(atlas):
    """The map and routing agree: each keyword of the routing gazetteer is located in the
    district and street the gazetteer gives it."""
    with GAZETTEER.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for keyword in filter(None, row["keywords"].split("|")):
                fix = atlas.locate(keyword)
                assert fix is not None and fix.district == row["district"], keyword
                if row["street"]:
                    assert fix.street == row["street"], keyword


def test_distance():
    assert 1000 < distance_m((30.6545, 104.0830), (30.6641, 104.0535)) < 4000
