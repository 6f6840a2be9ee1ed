"""Place files (CSV, GeoJSON) are read whole or refused with every problem named by line
(or feature) and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hotline
from hotline.geo.features import PlaceFileError, read_places, to_geojson

SHIPPED = Path(hotline.__file__).parent / "data" / "places.geojson"
HEADER = "kind,name,district,street,lat,lon,keywords\n"


def problems(data: str, name: str) -> list[tuple[str, str]]:
    with pytest.raises(PlaceFileError) as caught:
        read_places(data.encode(), name)
    return [(p.place, p.field) for p in caught.value.problems]


def test_shipped_map_reads_and_round_trips():
    features = read_places(SHIPPED.read_bytes(), "places.geojson")
    kinds = {f.kind for f in features}
    assert kinds == {"district", "street", "landmark", "community", "road"}
    assert sum(f.kind == "district" for f in features) == 5
    again = read_places(json.dumps({"type": "FeatureCollection", "features": [
        to_geojson(f) for f in features]}).encode(), "again.geojson")
    assert again == features


def test_csv_rows_become_places():
    data = HEADER + "landmark,锦城公园,锦江区,,30.6201,104.1101,锦城湖|锦城绿道\n"
    [place] = read_places(data.encode(), "new.csv")
    assert (place.kind, place.name, place.district, place.point) == (
        "landmark", "锦城公园", "锦江区", (104.1101, 30.6201))
    assert place.keywords == ("锦城湖", "锦城绿道")


def test_csv_problems_name_line_and_field():
    data = (HEADER + "landmark,好地方,锦江区,,abc,104.1,\n"
            + "monument,碑,锦江区,,30.6,104.1,\n"
            + "community,,锦江区,,30.6,104.1,\n"
            + "road,红星路,锦江区,,95,104.1,\n"
            + "landmark,太远,,,30.6,200,\n")
    assert problems(data, "bad.csv") == [
        ("第2行", "lat"), ("第3行", "kind"), ("第4行", "name"), ("第5行", "lat"),
        ("第6行", "lon"), ("第6行", "district")]


def test_csv_without_a_column_is_refused_at_the_header():
    assert problems("kind,name,district\nlandmark,x,锦江区\n", "bad.csv") == [
        ("第1行", "lat"), ("第1行", "lon")]


def test_geojson_problems_name_the_feature_and_field():
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "properties": {"kind": "street", "name": "新街道", "district": "锦江区"},
         "geometry": {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6],
                                                          [104.1, 30.7]]]}},
        {"type": "Feature", "properties": {"kind": "landmark", "name": "塔", "district": "锦江区"},
         "geometry": {"type": "LineString", "coordinates": [[104.0, 30.6], [104.1, 30.6]]}},
        {"type": "Feature", "properties": {"kind": "landmark", "name": "桥", "district": "锦江区"},
         "geometry": {"type": "Point", "coordinates": ["x", 30.6]}},
    ]}
    assert problems(json.dumps(collection), "bad.geojson") == [
        ("第1个要素", "geometry"), ("第2个要素", "geometry"), ("第3个要素", "geometry[0]")]


@pytest.mark.parametrize(("data", "name", "field"), [
    ("{", "a.geojson", "json"), ('{"type": "Feature"}', "a.geojson", "type"),
    ("x", "a.txt", "filename"), (HEADER, "a.csv", "features")])
def test_whole_file_problems(data, name, field):
    assert problems(data, name) == [("文件", field)]


def test_not_utf8_is_refused():
    with pytest.raises(PlaceFileError) as caught:
        read_places("地点".encode("gbk"), "a.csv")
    assert caught.value.problems[0].field == "encoding"
