"""Reading and validating training data, and training a Model from it.

Every problem with the data is reported as a TrainingDataError whose message (Chinese, then
English) names the file, the rows, the columns or the class involved and says what to do.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sklearn.model_selection import train_test_split

from classifier.errors import TrainingDataError
from classifier.evaluate import evaluate
from classifier.model import FORMAT_VERSION, Model, build_pipeline, library_versions

# Held-out metrics are only meaningful when every class keeps a few examples on both sides.
MIN_PER_CLASS_FOR_HOLDOUT = 5
MIN_SAMPLES_FOR_HOLDOUT = 40
_MAX_LISTED = 10


def read_training_csv(
    path: str | os.PathLike, text_column: str = "text", label_column: str = "label"
) -> tuple[list[str], list[str]]:
    """Read a UTF-8 CSV of labelled requests and return ``(texts, labels)``.

    Raises TrainingDataError for an unreadable, empty or mis-encoded file, missing columns and
    rows with an empty text or label; class-level checks happen in ``train_model``.
    """
    rows = _csv_rows(_read_utf8(Path(path)), Path(path), text_column, label_column)
    texts = [(r.get(text_column) or "").strip() for r in rows]
    labels = [(r.get(label_column) or "").strip() for r in rows]
    # Spreadsheet row numbers: the header is row 1, so the first record is row 2.
    _reject_blank(texts, "文本为空 / empty text", text_column, first_row=2)
    _reject_blank(labels, "标签为空 / empty label", label_column, first_row=2)
    return texts, labels


def _read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TrainingDataError(
            f"找不到训练文件：{path} / training file not found: {path}"
        ) from None
    except IsADirectoryError:
        raise TrainingDataError(f"这是目录不是文件：{path} / not a file: {path}") from None
    if not data:
        raise TrainingDataError(
            f"训练文件为空（0 字节）：{path} / the training file is empty (0 bytes): {path}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingDataError(_encoding_message(path, data, exc)) from None


def _encoding_message(path: Path, data: bytes, exc: UnicodeDecodeError) -> str:
    zh_guess, en_guess = _guess_encoding(data)
    return (
        f"训练文件不是 UTF-8 编码{zh_guess}，第 {exc.start} 字节无法解码：{path}。"
        "请转换为 UTF-8 后再试，例如在 Excel 中“另存为 CSV UTF-8”，或运行 "
        "iconv -f GB18030 -t UTF-8 原文件 > 新文件 / "
        f"the training file is not UTF-8{en_guess} (cannot decode byte {exc.start}); convert "
        "it to UTF-8 first, e.g. Excel 'Save as CSV UTF-8' or "
        "`iconv -f GB18030 -t UTF-8 in.csv > out.csv`"
    )


def _guess_encoding(data: bytes) -> tuple[str, str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "（看起来是 UTF-16，即 Excel 的“Unicode 文本”）", " (it looks like UTF-16)"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return "", ""
    return "（看起来是 GBK/GB18030，Excel 默认的中文编码）", " (it looks like GBK/GB18030)"


def _csv_rows(text: str, path: Path, text_column: str, label_column: str) -> list[dict]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in (reader.fieldnames or []) if h is not None]
        if reader.fieldnames:
            reader.fieldnames = [h.strip() for h in reader.fieldnames]
        rows = list(reader)
    except csv.Error as exc:
        raise TrainingDataError(f"CSV 格式错误：{path}：{exc} / malformed CSV: {exc}") from None
    missing = [c for c in (text_column, label_column) if c not in header]
    if missing:
        found = ", ".join(header) if header else "（无 / none）"
        raise TrainingDataError(
            f"训练文件缺少列 {', '.join(missing)}；文件中的列为：{found}。请检查表头，或用 "
            f"--text-column / --label-column 指定列名 / missing column(s) {', '.join(missing)}; "
            f"columns found: {found}. Fix the header or name the columns with "
            "--text-column / --label-column"
        )
    if not rows:
        raise TrainingDataError(
            f"训练文件只有表头，没有数据行：{path} / the training file has a header but no rows"
        )
    return rows


def _reject_blank(values: Sequence[str], what: str, column: str, first_row: int) -> None:
    blank = [i + first_row for i, v in enumerate(values) if not v]
    if blank:
        raise TrainingDataError(
            f"{what.split(' / ')[0]}（列 {column}）的行：{_rows(blank)}；请补全或删除这些行 / "
            f"{what.split(' / ')[1]} (column {column}) in rows {_rows(blank)}; "
            "fill them in or delete those rows"
        )


def _rows(numbers: Sequence[int]) -> str:
    shown = ", ".join(map(str, numbers[:_MAX_LISTED]))
    more = len(numbers) - _MAX_LISTED
    return f"{shown} … (+{more})" if more > 0 else shown


def validate_training_data(texts: Sequence[str], labels: Sequence[str]) -> None:
    """Check that texts and labels can train a classifier; raise TrainingDataError if not.

    Row numbers in messages count from 1 over the sequences given.
    """
    if len(texts) != len(labels):
        raise TrainingDataError(
            f"文本数 {len(texts)} 与标签数 {len(labels)} 不一致 / "
            f"{len(texts)} texts but {len(labels)} labels"
        )
    if not texts:
        raise TrainingDataError("没有训练数据 / there is no training data")
    _reject_blank([_clean(t) for t in texts], "文本为空 / empty text", "text", first_row=1)
    _reject_blank([_clean(t) for t in labels], "标签为空 / empty label", "label", first_row=1)
    counts = Counter(_clean(t) for t in labels)
    if len(counts) < 2:
        (only,) = counts
        raise TrainingDataError(
            f"只有一个类别（{only}），至少需要两个类别才能训练分类器 / "
            f"only one class ({only}); a classifier needs at least two classes"
        )
    singles = sorted(label for label, n in counts.items() if n < 2)
    if singles:
        names = ", ".join(singles)
        raise TrainingDataError(
            f"以下类别只有一个样本：{names}；每个类别至少需要 2 个（建议 15 个以上），请补充样本"
            f"或合并/删除该类别 / class(es) with only one example: {names}; each class needs "
            "at least 2 (15+ recommended): add examples, or merge or drop the class"
        )


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def train_model(
    texts: Sequence[str], labels: Sequence[str], *, holdout: float = 0.2, random_state: int = 0
) -> Model:
    """Validate the data, measure the model on a held-out split, then train it on everything.

    The held-out figures go into ``metadata["metrics"]`` (skipped, with the reason, when a class
    has fewer than 5 examples or there are under 40). ``holdout=0`` skips the measurement.
    """
    validate_training_data(texts, labels)
    texts = [_clean(t) for t in texts]
    labels = [_clean(t) for t in labels]
    metrics = _holdout_metrics(texts, labels, holdout, random_state)
    started = time.perf_counter()
    pipeline = build_pipeline(random_state=random_state).fit(texts, labels)
    metadata = {
        "format_version": FORMAT_VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_samples": len(texts),
        "labels": sorted(set(labels)),
        "class_counts": dict(sorted(Counter(labels).items())),
        "metrics": metrics,
        "fit_seconds": round(time.perf_counter() - started, 2),
        "versions": library_versions(),
        "estimator": "normalize + tf-idf views (char 1-2, jieba words 1-2, subject line) "
        "+ stacked LinearSVC with logistic-regression combiner",
    }
    return Model(pipeline, metadata)


def _holdout_metrics(texts, labels, holdout: float, random_state: int) -> dict:
    smallest = min(Counter(labels).values())
    if holdout <= 0:
        return {"method": "none", "reason": "held-out evaluation disabled"}
    if smallest < MIN_PER_CLASS_FOR_HOLDOUT or len(texts) < MIN_SAMPLES_FOR_HOLDOUT:
        return {
            "method": "none",
            "reason": f"too little data for a held-out split (need {MIN_PER_CLASS_FOR_HOLDOUT} "
            f"per class and {MIN_SAMPLES_FOR_HOLDOUT} in all)",
        }
    x_tr, x_te, y_tr, y_te = train_test_split(
        texts, labels, test_size=holdout, stratify=labels, random_state=random_state
    )
    pipeline = build_pipeline(random_state=random_state).fit(x_tr, y_tr)
    report = evaluate(Model(pipeline, {}), x_te, y_te)
    return {"method": "holdout", "test_size": holdout, "random_state": random_state, **report}
