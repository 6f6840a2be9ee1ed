"""Locations of the data files shipped inside the package."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
USERDICT = DATA_DIR / "userdict.txt"
STOPWORDS = DATA_DIR / "stopwords.txt"
STARTER_CORPUS = DATA_DIR / "starter_corpus.csv"
GAZETTEER = DATA_DIR / "gazetteer.csv"
RULES = DATA_DIR / "rules.json"
