import json

import pytest
from click.testing import CliRunner

from classifier.cli import cli
from classifier.model import metadata_path

SMALL = "text,label\n" + "".join(
    f"{text},{label}\n"
    for label, texts in {
        "water_supply": ["小区停水了", "自来水停了两天", "水压太低", "水管爆了", "停水不通知"],
        "power_supply": ["又停电了", "电压不稳", "停电一整天", "电表走得太快", "供电线路故障"],
        "noise": ["楼下吵到半夜", "工地夜间施工", "广场舞音响大", "酒吧噪音扰民", "装修噪音"],
    }.items()
    for text in texts
)


@pytest.fixture()
def runner():
    return CliRunner()


def test_train_writes_model_and_metadata(runner, tmp_path):
    data = tmp_path / "small.csv"
    data.write_text(SMALL, "utf-8")
    out = tmp_path / "models" / "m.joblib"
    result = runner.invoke(cli, ["train", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and metadata_path(out).exists()
    assert "15 texts, 3 labels" in result.output


def test_train_with_custom_columns(runner, tmp_path):
    data = tmp_path / "small.csv"
    data.write_text(SMALL.replace("text,label", "内容,类别", 1), "utf-8")
    out = tmp_path / "m.joblib"
    args = ["train", "--data", str(data), "--text-column", "内容", "--label-column", "类别"]
    result = runner.invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_train_error_leaves_existing_model_untouched(runner, tmp_path):
    out = tmp_path / "m.joblib"
    out.write_bytes(b"previous model")
    data = tmp_path / "bad.csv"
    data.write_bytes(b"")
    result = runner.invoke(cli, ["train", "--data", str(data), "--out", str(out)])
    assert result.exit_code != 0
    assert "0 bytes" in result.output
    assert out.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "m.joblib"]


def test_train_reports_single_class(runner, tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("text,label\n停水了,w\n又停水,w\n", "utf-8")
    result = runner.invoke(cli, ["train", "--data", str(data), "--out", str(tmp_path / "m.joblib")])
    assert result.exit_code != 0
    assert "only one class" in result.output


def test_evaluate_prints_json(runner, saved_model, tmp_path):
    data = tmp_path / "eval.csv"
    data.write_text(
        "text,label\n楼下烧烤店吵到凌晨三点,noise\n小区停水两天了,water_supply\n", "utf-8"
    )
    result = runner.invoke(cli, ["evaluate", "--model", str(saved_model), "--data", str(data)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"accuracy", "macro_f1", "per_class", "n"} <= set(report)
    assert report["n"] == 2
    assert {"precision", "recall", "f1", "support"} <= set(report["per_class"]["noise"])


def test_predict_prints_suggestions(runner, saved_model):
    result = runner.invoke(cli, ["predict", "--model", str(saved_model), "-k", "2", "停电一整天了"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[0] == "power_supply"


def test_predict_json(runner, saved_model):
    result = runner.invoke(cli, ["predict", "--model", str(saved_model), "--json", "停水了"])
    rows = json.loads(result.output)
    assert len(rows) == 3 and rows[0]["label"] == "water_supply"


def test_missing_model_is_a_clean_error(runner, tmp_path):
    result = runner.invoke(cli, ["predict", "--model", str(tmp_path / "x.joblib"), "停水"])
    assert result.exit_code != 0
    assert "model file not found" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unwritable_output_is_a_clean_error(runner, tmp_path):
    data = tmp_path / "small.csv"
    data.write_text(SMALL, "utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", "utf-8")
    result = runner.invoke(cli, ["train", "--data", str(data), "--out", str(blocker / "m.joblib")])
    assert result.exit_code != 0
    assert "Error" in result.output
    assert not isinstance(result.exception, OSError)
