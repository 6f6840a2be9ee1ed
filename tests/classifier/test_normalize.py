import pytest

from classifier.normalize import (
    mask_pii,
    normalize,
    normalize_digits,
    to_halfwidth,
    to_simplified,
)


@pytest.mark.parametrize(
    "raw",
    [
        "电话13812345678",
        "电话 138-1234-5678",
        "电话138 1234 5678",
        "电话+86 13812345678",
        "电话8613812345678",
        "座机028-85551234",
        "座机(028)85551234",
        "座机02885551234",
        "热线400-123-4567",
        "电话：86123456",
    ],
)
def test_phone_numbers_become_placeholder(raw):
    out = normalize(raw)
    assert "PHONE" in out
    assert not any(ch.isdigit() for ch in out)


@pytest.mark.parametrize(
    "raw, placeholder",
    [
        ("身份证510104199001011234", "IDNO"),
        ("身份证号51010419900101123X", "IDNO"),
        ("老身份证510104900101123", "IDNO"),
        ("看这个https://example.com/a?b=1&c=2链接", "URL"),
        ("网址www.example.cn/x", "URL"),
        ("邮箱zhang.san+1@qq.com联系", "EMAIL"),
        ("卡号6222 0212 3456 7890 123", "CARDNO"),
    ],
)
def test_personal_data_becomes_placeholder(raw, placeholder):
    out = normalize(raw)
    assert placeholder in out
    assert not any(ch.isdigit() for ch in out.replace(placeholder, ""))


def test_id_number_is_not_read_as_phone():
    out = mask_pii("510104199001011234")
    assert out.strip() == "IDNO"


def test_ordinary_numbers_are_kept():
    out = normalize("打12345反映，2号线，2024年3月5日，花了320元，3栋2单元")
    assert out == "打12345反映,2号线,2024年3月5日,花了320元,3栋2单元"


def test_pii_masking_can_be_turned_off():
    assert normalize("13812345678", pii=False) == "13812345678"


def test_fullwidth_becomes_halfwidth():
    assert to_halfwidth("ＩＦＳ１２３４５，ＡＢＣ！") == "IFS12345,ABC!"
    assert normalize("电话１３８１２３４５６７８") == "电话 PHONE"


def test_traditional_becomes_simplified():
    assert to_simplified("請問物業費為什麼這麼貴？") == "请问物业费为什么这么贵？"
    assert to_simplified("樓上噪音擾民") == "楼上噪音扰民"
    assert to_simplified("廚房著火了，煤氣洩漏") == "厨房着火了，煤气泄漏"


def test_simplified_text_is_unchanged():
    text = "著名的干部在后面的里屋发现了面条"
    assert to_simplified(text) == text


def test_other_unicode_digits_become_ascii():
    assert normalize_digits("٣٤٥ and ४५") == "345 and 45"


def test_whitespace_collapsed_and_none_is_empty():
    assert normalize("  物业\n\n不管\t事  ") == "物业 不管 事"
    assert normalize(None) == ""
    assert normalize("") == ""
