"""The shipped data files agree with each other and with the demo city catalogue."""

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from classifier import Gazetteer, RuleSet
from classifier._paths import GAZETTEER, RULES, STARTER_CORPUS, STOPWORDS, USERDICT

CITY = Path(__file__).resolve().parents[2] / "hotline" / "demo" / "city.json"


@pytest.fixture(scope="module")
def city():
    if not CITY.exists():
        pytest.skip("hotline/demo/city.json not present")
    return json.loads(CITY.read_text("utf-8"))


def _corpus_rows():
    with STARTER_CORPUS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_starter_corpus_covers_every_leaf_category(city):
    leaves = {c["code"] for c in city["categories"] if c.get("parent")}
    counts = Counter(row["label"] for row in _corpus_rows())
    assert set(counts) == leaves
    assert min(counts.values()) >= 15


def test_starter_corpus_has_no_duplicates_and_mentions_places():
    rows = _corpus_rows()
    texts = [row["text"] for row in rows]
    assert len(rows) >= 600
    assert len(set(texts)) == len(texts)
    gazetteer = Gazetteer.load(GAZETTEER)
    located = sum(gazetteer.locate(None, text) is not None for text in texts)
    assert located >= 100


def test_rules_point_at_known_categories_and_departments(city):
    categories = {c["code"] for c in city["categories"]}
    departments = {d["code"] for d in city["departments"]}
    rules = RuleSet.load(RULES)
    for rule in rules.keyword_rules:
        assert rule.category is None or rule.category in categories, rule.name
        assert rule.department is None or rule.department in departments, rule.name


def test_gazetteer_streets_match_catalogue_offices(city):
    gazetteer = Gazetteer.load(GAZETTEER)
    for department in city["departments"]:
        if department.get("parent"):
            street = department["name"].removesuffix("办事处")
            location = gazetteer.locate(street)
            assert location is not None and location.district == department["district"], street


def test_dictionary_and_stop_words_are_utf8_text():
    assert "住建局" in USERDICT.read_text("utf-8")
    assert "的" in STOPWORDS.read_text("utf-8").split()
