import pytest

from classifier import TrainingDataError, read_training_csv, train_model


def test_reads_utf8_with_bom_and_custom_columns(write_csv):
    path = write_csv("\ufeffcontent,category\n停水了,water_supply\n 停电了 ,power_supply\n")
    texts, labels = read_training_csv(path, text_column="content", label_column="category")
    assert texts == ["停水了", "停电了"]
    assert labels == ["water_supply", "power_supply"]


def test_multiline_quoted_text(write_csv):
    path = write_csv('text,label\n"第一行\n第二行",noise\n短信,taxi\n')
    texts, _ = read_training_csv(path)
    assert texts[0] == "第一行\n第二行"


def test_zero_byte_file(write_csv):
    with pytest.raises(TrainingDataError, match=r"训练文件为空（0 字节）.*empty \(0 bytes\)"):
        read_training_csv(write_csv(b""))


def test_missing_file(tmp_path):
    with pytest.raises(TrainingDataError, match="not found"):
        read_training_csv(tmp_path / "missing.csv")


def test_gbk_file_is_reported_as_wrong_encoding(write_csv):
    path = write_csv("text,label\n小区停水了,water_supply\n", encoding="gbk")
    with pytest.raises(TrainingDataError) as info:
        read_training_csv(path)
    message = str(info.value)
    assert "不是 UTF-8" in message and "not UTF-8" in message
    assert "GBK" in message
    assert "iconv" in message


def test_utf16_file_is_reported_as_such(write_csv):
    path = write_csv("text,label\n小区停水了,water_supply\n", encoding="utf-16")
    with pytest.raises(TrainingDataError, match="UTF-16"):
        read_training_csv(path)


def test_missing_columns_names_the_columns_found(write_csv):
    path = write_csv("内容,分类\n停水了,water_supply\n")
    with pytest.raises(TrainingDataError) as info:
        read_training_csv(path)
    message = str(info.value)
    assert "text" in message and "label" in message
    assert "内容, 分类" in message
    assert "--text-column" in message


def test_only_label_column_missing(write_csv):
    path = write_csv("text,category\n停水了,water_supply\n")
    expected = "missing column\\(s\\) label; columns found: text, category"
    with pytest.raises(TrainingDataError, match=expected):
        read_training_csv(path)


def test_header_only(write_csv):
    with pytest.raises(TrainingDataError, match="no rows"):
        read_training_csv(write_csv("text,label\n"))


def test_empty_texts_name_the_rows(write_csv):
    path = write_csv("text,label\n停水了,water_supply\n,noise\n   ,noise\n停电了,power_supply\n")
    with pytest.raises(TrainingDataError) as info:
        read_training_csv(path)
    message = str(info.value)
    assert "rows 3, 4" in message and "empty text" in message and "文本为空" in message


def test_empty_labels_name_the_rows(write_csv):
    path = write_csv("text,label\n停水了,water_supply\n停电了,\n")
    with pytest.raises(TrainingDataError, match="empty label \\(column label\\) in rows 3"):
        read_training_csv(path)


def test_single_class(write_csv):
    texts, labels = read_training_csv(write_csv("text,label\n停水了,water\n又停水了,water\n"))
    with pytest.raises(TrainingDataError, match=r"只有一个类别（water）.*only one class \(water\)"):
        train_model(texts, labels)


def test_class_with_one_example_is_named(write_csv):
    path = write_csv("text,label\n停水了,water\n又停水了,water\n停电了,power\n")
    texts, labels = read_training_csv(path)
    with pytest.raises(TrainingDataError, match=r"only one example: power"):
        train_model(texts, labels)


def test_train_model_checks_its_own_inputs():
    with pytest.raises(TrainingDataError, match="2 texts but 1 labels"):
        train_model(["a", "b"], ["x"])
    with pytest.raises(TrainingDataError, match="no training data"):
        train_model([], [])
    with pytest.raises(TrainingDataError, match="empty text \\(column text\\) in rows 2"):
        train_model(["停水", " ", "停电", "停电了"], ["w", "w", "p", "p"])
