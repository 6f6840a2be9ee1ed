import pickle

from classifier.normalize import normalize
from classifier.segment import preload, stopwords, tokenize


def test_user_dictionary_terms_stay_whole():
    words = tokenize("武侯区玉林街道的物业费太贵，楼下占道经营噪音扰民，打12345反映拖欠工资")
    for term in ("武侯区", "玉林街道", "物业费", "占道经营", "噪音扰民", "12345", "拖欠工资"):
        assert term in words


def test_stop_words_and_punctuation_are_dropped():
    words = tokenize("我的小区，物业啊！！不管了吗？")
    assert "的" not in words and "啊" not in words and "吗" not in words
    assert not any(w in {"，", "！", "？", "!"} for w in words)
    assert "物业" in words


def test_placeholders_survive_as_tokens():
    assert "PHONE" in tokenize(normalize("我的电话13812345678请回电"))


def test_preload_is_idempotent():
    assert preload() is preload()
    assert "的" in stopwords()


def test_tokenize_pickles_by_reference():
    assert pickle.loads(pickle.dumps(tokenize)) is tokenize


def test_empty_text():
    assert tokenize("") == []
