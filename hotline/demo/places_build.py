"""Builds ``hotline/data/places.geojson``, the demo city's map: five district outlines, their
streets (街道) as outlines, and points for landmarks, communities and roads.

The coordinates are plausible WGS84 positions of central Chengdu, drawn by hand for the demo
(not survey data). Each street's outline is the part of its district nearer to that street's
office than to any other street's (a Voronoi cell clipped to the district), so the streets tile
their district exactly. Run ``python -m hotline.demo.places_build > hotline/data/places.geojson``
after changing the tables below.
"""

from __future__ import annotations

import json
import math
import sys

# Shared corners so that neighbouring districts meet without gaps (lon, lat).
_Q_J_C = (104.076, 30.664)   # 青羊 / 锦江 / 成华
_Q_J_W = (104.062, 30.646)   # 青羊 / 锦江 / 武侯
_Q_N_C = (104.079, 30.686)   # 青羊 / 金牛 / 成华
_W_Q_OUT = (103.955, 30.648)
_Q_N_OUT = (103.960, 30.684)
_N_C_OUT = (104.098, 30.765)
_C_J_OUT = (104.170, 30.660)
_J_W_OUT = (104.088, 30.572)

_QN = [_Q_N_OUT, (104.000, 30.686), (104.040, 30.682), _Q_N_C]
_QJ = [_Q_J_C, (104.070, 30.655), _Q_J_W]
_QW = [_Q_J_W, (104.040, 30.649), (104.000, 30.645), _W_Q_OUT]
_WJ = [_Q_J_W, (104.080, 30.640), (104.086, 30.637), (104.094, 30.630), (104.091, 30.600),
       _J_W_OUT]
_JC = [_Q_J_C, (104.100, 30.662), (104.130, 30.658), _C_J_OUT]
_NC = [_Q_N_C, (104.094, 30.692), (104.092, 30.722), _N_C_OUT]
_OUT_N = [_Q_N_OUT, (103.965, 30.725), (103.995, 30.755), (104.040, 30.768), _N_C_OUT]
_OUT_C = [_N_C_OUT, (104.140, 30.760), (104.172, 30.725), _C_J_OUT]
_OUT_J = [_C_J_OUT, (104.168, 30.610), (104.140, 30.580), _J_W_OUT]
_OUT_W = [_J_W_OUT, (104.040, 30.565), (103.985, 30.585), (103.955, 30.615), _W_Q_OUT]


def _ring(*parts: list, reverse: tuple[bool, ...]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for part, back in zip(parts, reverse, strict=True):
        for point in (list(reversed(part)) if back else part):
            if not points or points[-1] != point:
                points.append(point)
    if points[0] == points[-1]:
        points.pop()
    return points


DISTRICTS = {
    "青羊区": _ring(_QN, [_Q_N_C, _Q_J_C], _QJ, _QW, [_W_Q_OUT, _Q_N_OUT],
                  reverse=(False, False, False, False, False)),
    "金牛区": _ring(_OUT_N, _NC, _QN, reverse=(False, True, True)),
    "成华区": _ring(_NC, _OUT_C, _JC, [_Q_J_C, _Q_N_C], reverse=(False, False, True, False)),
    "锦江区": _ring(_JC, _OUT_J, _WJ, _QJ, reverse=(False, False, True, True)),
    "武侯区": _ring(_QW, _OUT_W, _WJ, reverse=(False, True, True)),
}

# street (街道) → (district, its office's position)
STREETS = {
    "春熙路街道": ("锦江区", (104.080, 30.655)), "书院街街道": ("锦江区", (104.086, 30.6605)),
    "合江亭街道": ("锦江区", (104.088, 30.645)), "牛市口街道": ("锦江区", (104.101, 30.650)),
    "督院街街道": ("锦江区", (104.0745, 30.648)), "盐市口街道": ("锦江区", (104.0725, 30.6535)),
    "东光街道": ("锦江区", (104.108, 30.638)), "沙河街道": ("锦江区", (104.120, 30.624)),
    "三圣街道": ("锦江区", (104.138, 30.600)),
    "少城街道": ("青羊区", (104.055, 30.665)), "草市街街道": ("青羊区", (104.072, 30.677)),
    "府南街道": ("青羊区", (104.040, 30.672)), "草堂街道": ("青羊区", (104.030, 30.658)),
    "西御河街道": ("青羊区", (104.066, 30.663)), "金沙街道": ("青羊区", (104.012, 30.676)),
    "光华街道": ("青羊区", (103.985, 30.664)),
    "抚琴街道": ("金牛区", (104.044, 30.694)), "西安路街道": ("金牛区", (104.059, 30.689)),
    "驷马桥街道": ("金牛区", (104.087, 30.702)), "荷花池街道": ("金牛区", (104.078, 30.693)),
    "营门口街道": ("金牛区", (104.026, 30.697)), "茶店子街道": ("金牛区", (104.006, 30.708)),
    "沙湾街道": ("金牛区", (104.058, 30.701)), "五块石街道": ("金牛区", (104.078, 30.720)),
    "九里堤街道": ("金牛区", (104.046, 30.714)),
    "浆洗街街道": ("武侯区", (104.047, 30.644)), "望江路街道": ("武侯区", (104.086, 30.631)),
    "玉林街道": ("武侯区", (104.057, 30.630)), "簇桥街道": ("武侯区", (104.010, 30.598)),
    "红牌楼街道": ("武侯区", (104.027, 30.625)), "火车南站街道": ("武侯区", (104.070, 30.607)),
    "跳伞塔街道": ("武侯区", (104.072, 30.634)), "晋阳街道": ("武侯区", (104.003, 30.637)),
    "猛追湾街道": ("成华区", (104.092, 30.668)), "建设路街道": ("成华区", (104.110, 30.677)),
    "府青路街道": ("成华区", (104.096, 30.684)), "双桥子街道": ("成华区", (104.118, 30.664)),
    "二仙桥街道": ("成华区", (104.140, 30.684)), "万年场街道": ("成华区", (104.130, 30.667)),
    "青龙街道": ("成华区", (104.115, 30.712)),
}

# (kind, name, position, extra keywords); the district and street come from the outlines
POINTS = [
    ("landmark", "远洋太古里", (104.0830, 30.6545), ["太古里"]),
    ("landmark", "成都国际金融中心", (104.0795, 30.6562), ["IFS", "国金中心", "国际金融中心"]),
    ("landmark", "大慈寺", (104.0842, 30.6557), []),
    ("landmark", "天涯石", (104.0862, 30.6605), []),
    ("landmark", "九眼桥", (104.0892, 30.6412), []),
    ("landmark", "兰桂坊", (104.0886, 30.6432), []),
    ("landmark", "水井坊", (104.0905, 30.6472), []),
    ("landmark", "合江亭", (104.0870, 30.6466), []),
    ("landmark", "安顺廊桥", (104.0899, 30.6440), []),
    ("landmark", "牛王庙", (104.1012, 30.6512), []),
    ("landmark", "红照壁", (104.0722, 30.6470), []),
    ("landmark", "锦江宾馆", (104.0732, 30.6446), []),
    ("landmark", "三圣花乡", (104.1382, 30.6012), ["三圣乡"]),
    ("landmark", "幸福梅林", (104.1452, 30.5952), []),
    ("landmark", "宽窄巷子", (104.0535, 30.6641), ["宽巷子", "窄巷子", "井巷子"]),
    ("landmark", "人民公园", (104.0577, 30.6582), []),
    ("landmark", "文殊院", (104.0727, 30.6752), []),
    ("landmark", "杜甫草堂", (104.0296, 30.6596), []),
    ("landmark", "浣花溪公园", (104.0345, 30.6531), []),
    ("landmark", "金沙遗址博物馆", (104.0131, 30.6806), ["金沙遗址"]),
    ("landmark", "火车北站", (104.0735, 30.6975), ["成都火车站"]),
    ("landmark", "荷花池市场", (104.0811, 30.6924), []),
    ("landmark", "茶店子客运站", (104.0112, 30.7036), []),
    ("landmark", "五块石客运站", (104.0781, 30.7161), []),
    ("landmark", "西南交大九里堤校区", (104.0491, 30.7061), []),
    ("landmark", "营门口立交", (104.0301, 30.6958), []),
    ("landmark", "沙湾会展", (104.0571, 30.6991), []),
    ("landmark", "武侯祠", (104.0446, 30.6441), []),
    ("landmark", "锦里", (104.0477, 30.6431), []),
    ("landmark", "望江楼公园", (104.0881, 30.6321), ["望江楼"]),
    ("landmark", "四川大学望江校区", (104.0831, 30.6301), ["川大望江校区"]),
    ("landmark", "成都南站", (104.0721, 30.6071), []),
    ("landmark", "红牌楼广场", (104.0271, 30.6271), []),
    ("landmark", "桐梓林", (104.0696, 30.6176), []),
    ("landmark", "猛追湾游泳场", (104.0931, 30.6686), []),
    ("landmark", "天府熊猫塔", (104.0906, 30.6651), ["339电视塔"]),
    ("landmark", "东郊记忆", (104.1231, 30.6711), []),
    ("landmark", "大熊猫繁育研究基地", (104.1461, 30.7331), ["熊猫基地"]),
    ("landmark", "昭觉寺", (104.1031, 30.7061), []),
    ("landmark", "成都理工大学", (104.1431, 30.6811), []),
    ("community", "玉林小区", (104.0583, 30.6312), []),
    ("community", "抚琴小区", (104.0441, 30.6931), []),
    ("community", "东光小区", (104.1092, 30.6401), []),
    ("community", "晋阳小区", (104.0041, 30.6381), []),
    ("community", "府南新区", (104.0402, 30.6712), []),
    ("road", "红星路", (104.0800, 30.6575), ["红星路步行街"]),
    ("road", "总府路", (104.0766, 30.6576), []),
    ("road", "玉林南路", (104.0575, 30.6275), []),
    ("road", "玉林北路", (104.0590, 30.6345), []),
    ("road", "抚琴西路", (104.0405, 30.6940), []),
    ("road", "长顺上街", (104.0545, 30.6680), []),
    ("road", "书院南街", (104.0855, 30.6588), []),
    ("road", "建设北路", (104.1105, 30.6805), []),
    ("road", "人民南路四段", (104.0712, 30.6300), []),
]


def _contains(ring: list, point: tuple[float, float]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _clip(ring: list, site: tuple, other: tuple) -> list:
    """The part of ``ring`` nearer to ``site`` than to ``other`` (one half-plane, local
    metres: a degree of longitude is cos(lat) of a degree of latitude)."""
    k = math.cos(math.radians(30.66))

    def nearer(p):
        ds = ((p[0] - site[0]) * k) ** 2 + (p[1] - site[1]) ** 2
        do = ((p[0] - other[0]) * k) ** 2 + (p[1] - other[1]) ** 2
        return ds - do

    out = []
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        fa, fb = nearer(a), nearer(b)
        if fa <= 0:
            out.append(a)
        if (fa < 0 < fb) or (fb < 0 < fa):
            t = fa / (fa - fb)
            out.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
    return out


def _closed(ring: list) -> list:
    points = [[round(x, 5), round(y, 5)] for x, y in ring]
    return points + [points[0]]


def build() -> dict:
    """The FeatureCollection of the demo city."""
    features = []
    for name, ring in DISTRICTS.items():
        features.append(_feature("district", name, name, None, [_closed(ring)], "Polygon"))
    for name, (district, site) in STREETS.items():
        assert _contains(DISTRICTS[district], site), name
        cell = DISTRICTS[district]
        for other_name, (other_district, other) in STREETS.items():
            if other_district == district and other_name != name:
                cell = _clip(cell, site, other)
        feature = _feature("street", name, district, name, [_closed(cell)], "Polygon")
        feature["properties"]["center"] = [site[0], site[1]]
        features.append(feature)
    for kind, name, position, keywords in POINTS:
        district = next(d for d, ring in DISTRICTS.items() if _contains(ring, position))
        feature = _feature(kind, name, district, None, list(position), "Point")
        if keywords:
            feature["properties"]["keywords"] = keywords
        features.append(feature)
    return {"type": "FeatureCollection", "name": "成都市（演示）", "features": features}


def _feature(kind, name, district, street, coordinates, geometry) -> dict:
    properties = {"kind": kind, "name": name, "district": district}
    if street and kind != "street":
        properties["street"] = street
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": geometry, "coordinates": coordinates}}


if __name__ == "__main__":
    json.dump(build(), sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")
