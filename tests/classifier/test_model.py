import json

import pytest
import sklearn

from classifier import FORMAT_VERSION, ModelLoadError, load_model, metadata_path, train_model

# Measured: the starter corpus held-out split (20%, stratified) scores about 0.78 accuracy; the
# floor leaves room for library changes without letting a broken model through.
HELD_OUT_ACCURACY_FLOOR = 0.70


def test_held_out_accuracy_on_starter_corpus(model):
    metrics = model.metadata["metrics"]
    assert metrics["method"] == "holdout"
    assert metrics["accuracy"] >= HELD_OUT_ACCURACY_FLOOR
    assert metrics["macro_f1"] >= HELD_OUT_ACCURACY_FLOOR - 0.05
    assert set(metrics["per_class"]) == set(model.labels)


def test_metadata(model, corpus):
    meta = model.metadata
    assert meta["labels"] == sorted(set(corpus[1]))
    assert meta["n_samples"] == len(corpus[0])
    assert meta["trained_at"].endswith("+00:00")
    assert meta["versions"]["sklearn"] == sklearn.__version__
    assert {"jieba", "python", "numpy", "classifier"} <= set(meta["versions"])
    assert meta["format_version"] == FORMAT_VERSION


@pytest.mark.parametrize(
    "text, label",
    [
        ("楼下烧烤店天天吵到凌晨三点，噪音太大了睡不着", "noise"),
        ("包工头拖欠我们三个月工资，人跑了", "wage_arrears"),
        ("小区停水两天了也没通知", "water_supply"),
        ("身份证丢了在哪里补办", "household_reg"),
    ],
)
def test_predict_obvious_requests(model, text, label):
    assert model.predict([text]) == [label]


def test_predict_accepts_none_and_empty(model):
    predictions = model.predict([None, ""])
    assert all(p in model.labels for p in predictions)


def test_predict_rejects_a_bare_string(model):
    with pytest.raises(TypeError):
        model.predict("物业不管事")


def test_suggest_returns_sorted_probabilities(model):
    suggestions = model.suggest("物业费涨价了也不开业主大会，电梯还天天坏", k=3)
    assert len(suggestions) == 3
    probabilities = [p for _, p in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(probabilities) <= 1.0 + 1e-9
    assert suggestions[0][0] == "property_mgmt"
    assert len({label for label, _ in suggestions}) == 3


def test_suggest_k_bounds(model):
    assert model.suggest("停电了", k=0) == []
    everything = model.suggest("停电了", k=1000)
    assert len(everything) == len(model.labels)
    assert sum(p for _, p in everything) == pytest.approx(1.0)


def test_save_load_round_trip(model, saved_model, corpus):
    assert saved_model.exists()
    meta_file = metadata_path(saved_model)
    assert meta_file.name == "2026-11-24T0630.json"
    on_disk = json.loads(meta_file.read_text(encoding="utf-8"))
    assert on_disk["labels"] == model.metadata["labels"]
    loaded = load_model(saved_model)
    sample = corpus[0][:40]
    assert loaded.predict(sample) == model.predict(sample)
    assert loaded.suggest(sample[0]) == model.suggest(sample[0])
    assert loaded.metadata["metrics"] == model.metadata["metrics"]


def _copy_model(saved_model, tmp_path):
    target = tmp_path / "copy.joblib"
    target.write_bytes(saved_model.read_bytes())
    metadata_path(target).write_text(metadata_path(saved_model).read_text("utf-8"), "utf-8")
    return target


def _edit_metadata(path, **changes):
    meta_file = metadata_path(path)
    meta = json.loads(meta_file.read_text("utf-8"))
    for key, value in changes.items():
        if key == "sklearn":
            meta["versions"]["sklearn"] = value
        else:
            meta[key] = value
    meta_file.write_text(json.dumps(meta), "utf-8")


def test_incompatible_sklearn_version_is_refused(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    _edit_metadata(path, sklearn="1.2.2")
    with pytest.raises(ModelLoadError, match="scikit-learn 1.2.2"):
        load_model(path)


def test_patch_level_sklearn_difference_is_accepted(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    major, minor = sklearn.__version__.split(".")[:2]
    _edit_metadata(path, sklearn=f"{major}.{minor}.999")
    assert load_model(path).labels


def test_other_format_version_is_refused(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    _edit_metadata(path, format_version=FORMAT_VERSION + 1)
    with pytest.raises(ModelLoadError, match="format version"):
        load_model(path)


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(tmp_path / "nope.joblib")


def test_missing_metadata_file(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    metadata_path(path).unlink()
    with pytest.raises(ModelLoadError, match="metadata file not found"):
        load_model(path)


def test_corrupt_metadata_file(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    metadata_path(path).write_text("{not json", "utf-8")
    with pytest.raises(ModelLoadError, match="corrupt"):
        load_model(path)


def test_corrupt_model_file_fails_checksum(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(ModelLoadError, match="checksum"):
        load_model(path)


def test_corrupt_model_file_without_checksum(saved_model, tmp_path):
    path = _copy_model(saved_model, tmp_path)
    path.write_bytes(b"garbage" * 100)
    _edit_metadata(path, file_sha256=None)
    with pytest.raises(ModelLoadError, match="cannot read the model file"):
        load_model(path)


def test_save_replaces_atomically_and_leaves_no_temp_files(model, tmp_path):
    path = tmp_path / "sub" / "m.joblib"
    model.save(path)
    model.save(path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.joblib", "m.json"]


def test_small_dataset_trains_without_holdout():
    texts = ["停水了", "又停水了", "自来水停了", "停电了", "又停电了", "供电停了"]
    labels = ["water_supply"] * 3 + ["power_supply"] * 3
    model = train_model(texts, labels)
    assert model.metadata["metrics"]["method"] == "none"
    assert "too little data" in model.metadata["metrics"]["reason"]
    assert model.predict(["停电"]) == ["power_supply"]
    assert sum(p for _, p in model.suggest("停水", k=2)) == pytest.approx(1.0)
