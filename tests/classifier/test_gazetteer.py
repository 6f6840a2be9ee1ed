import pytest

from classifier import Gazetteer, Location
from classifier._paths import GAZETTEER
from classifier.gazetteer import GazetteerError


@pytest.fixture(scope="module")
def gaz():
    return Gazetteer.load(GAZETTEER)


def test_demo_gazetteer_has_the_five_central_districts(gaz):
    assert gaz.districts == ["成华区", "武侯区", "金牛区", "锦江区", "青羊区"]


@pytest.mark.parametrize(
    "text, district, street",
    [
        ("太古里旁边有人摆摊", "锦江区", "春熙路街道"),
        ("宽窄巷子门口拉客", "青羊区", "少城街道"),
        ("抚琴小区停水", "金牛区", "抚琴街道"),
        ("玉林路的烧烤摊", "武侯区", "玉林街道"),
        ("339电视塔下面", "成华区", "猛追湾街道"),
        ("锦江区某小区", "锦江区", None),
    ],
)
def test_locate_in_text(gaz, text, district, street):
    location = gaz.locate(None, text)
    assert (location.district, location.street) == (district, street)
    assert location.source == "text"


def test_address_wins_over_text(gaz):
    location = gaz.locate("成华区建设路", "我上周在春熙路买的衣服")
    assert (location.district, location.street, location.source) == (
        "成华区",
        "建设路街道",
        "address",
    )


def test_longest_match_wins(gaz):
    # 远洋太古里 (5) beats 太古里 (3); a street beats its district at equal length.
    assert gaz.locate("锦江区远洋太古里").matched == "远洋太古里"
    location = gaz.locate("锦江区春熙路")
    assert location.street == "春熙路街道"


def test_text_refines_a_district_only_address(gaz):
    location = gaz.locate("武侯区", "就在玉林小区门口")
    assert (location.district, location.street) == ("武侯区", "玉林街道")


def test_text_in_another_district_does_not_override_address(gaz):
    location = gaz.locate("青羊区", "在春熙路")
    assert (location.district, location.street, location.source) == ("青羊区", None, "address")


def test_street_name_itself_is_a_keyword(gaz):
    assert gaz.locate("驷马桥街道某某社区").street == "驷马桥街道"


def test_fullwidth_and_traditional_input(gaz):
    assert gaz.locate("ＩＦＳ門口").street == "春熙路街道"
    assert gaz.locate("寬窄巷子").street == "少城街道"


def test_nothing_found(gaz):
    assert gaz.locate(None, None) is None
    assert gaz.locate("", "北京朝阳区") is None


def test_ambiguous_keywords():
    gaz = Gazetteer(
        [
            ("A区", "一街道", ["共同路", "两街路"]),
            ("A区", "二街道", ["两街路"]),
            ("B区", "三街道", ["共同路"]),
        ]
    )
    # Shared by two districts: tells nothing.
    assert gaz.locate("共同路") is None
    # Shared by two streets of one district: still tells the district.
    assert gaz.locate("两街路") == Location("A区", None, "两街路", "address")


def test_malformed_csv(tmp_path):
    bad = tmp_path / "g.csv"
    bad.write_text("district,keywords\n锦江区,春熙路\n", "utf-8")
    with pytest.raises(GazetteerError, match="street"):
        Gazetteer.load(bad)
    bad.write_text("district,street,keywords\n,春熙路街道,春熙路\n", "utf-8")
    with pytest.raises(GazetteerError, match="row 2 has no district"):
        Gazetteer.load(bad)
    with pytest.raises(GazetteerError, match="cannot read"):
        Gazetteer.load(tmp_path / "missing.csv")
