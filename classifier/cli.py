"""Command line for training, evaluating and trying the classifier.

hotline mounts ``cli`` as ``hotline classifier``; ``python -m classifier`` runs it alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from classifier.errors import ClassifierError
from classifier.evaluate import evaluate as evaluate_model
from classifier.model import load_model
from classifier.train import read_training_csv, train_model

_PATH = click.Path(dir_okay=False, path_type=Path)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group()
def cli() -> None:
    """Train, evaluate and query the request classifier."""


@cli.command()
@click.option("--data", required=True, type=_PATH, help="UTF-8 CSV of labelled requests.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--out", required=True, type=_PATH, help="Model file to write, e.g. models/x.joblib")
def train(data: Path, text_column: str, label_column: str, out: Path) -> None:
    """Train a model on DATA and save it to OUT (the metadata JSON goes beside it).

    OUT is replaced only once the new model is fully written; on any error it is left untouched.
    """
    try:
        texts, labels = read_training_csv(data, text_column, label_column)
        model = train_model(texts, labels)
        model.save(out)
    except (ClassifierError, OSError) as exc:
        raise _fail(exc) from exc
    metrics = model.metadata["metrics"]
    click.echo(f"trained on {len(texts)} texts, {len(model.labels)} labels → {out}")
    if metrics.get("method") == "holdout":
        click.echo(
            f"held-out accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f} "
            f"(n={metrics['n']})"
        )
    else:
        click.echo(f"no held-out metrics: {metrics.get('reason')}")


@cli.command()
@click.option("--model", "model_path", required=True, type=_PATH)
@click.option("--data", required=True, type=_PATH, help="UTF-8 CSV of labelled requests.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
def evaluate(model_path: Path, data: Path, text_column: str, label_column: str) -> None:
    """Print a JSON report (accuracy, macro_f1, per-class precision/recall/f1) of MODEL on DATA."""
    try:
        model = load_model(model_path)
        texts, labels = read_training_csv(data, text_column, label_column)
    except ClassifierError as exc:
        raise _fail(exc) from exc
    report = evaluate_model(model, texts, labels)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))


@cli.command()
@click.option("--model", "model_path", required=True, type=_PATH)
@click.option("-k", "--top", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.argument("text")
def predict(model_path: Path, top: int, as_json: bool, text: str) -> None:
    """Print the top suggested categories for TEXT with their probabilities."""
    try:
        model = load_model(model_path)
    except ClassifierError as exc:
        raise _fail(exc) from exc
    suggestions = model.suggest(text, k=top)
    if as_json:
        rows = [{"label": label, "probability": round(p, 4)} for label, p in suggestions]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for label, probability in suggestions:
        click.echo(f"{label}\t{probability:.3f}")
