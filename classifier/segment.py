"""Chinese word segmentation with jieba, the project's user dictionary and stop words.

One dedicated ``jieba.Tokenizer`` per process keeps our dictionary additions away from any other
code that uses jieba's global instance. ``preload()`` builds it once; an RQ worker parent calls it
before forking so every child shares the loaded dictionary copy-on-write.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings

from classifier._paths import STOPWORDS, USERDICT

with warnings.catch_warnings():
    # Some jieba releases import pkg_resources, which warns on recent setuptools; keep the
    # application's "warnings are errors" setting usable.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", UserWarning)
    import jieba

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_stopwords: frozenset[str] = frozenset()
# A token is kept only if it has a letter, digit or CJK character: this drops punctuation runs.
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


def _read_stopwords() -> frozenset[str]:
    lines = STOPWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _build_tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    logger = logging.getLogger("jieba")
    level = logger.level
    # jieba logs its cache-building chatter at DEBUG through its own stderr handler.
    logger.setLevel(logging.WARNING)
    try:
        tokenizer.initialize()
        # jieba leaves a file it opened itself unclosed; hand it a managed one instead.
        with USERDICT.open("rb") as handle:
            tokenizer.load_userdict(handle)
    finally:
        logger.setLevel(level)
    return tokenizer


def preload() -> jieba.Tokenizer:
    """Load jieba's dictionary, our user dictionary and the stop words once for this process.

    Safe to call many times and from several threads; later calls return the loaded tokenizer.
    """
    global _tokenizer, _stopwords
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _stopwords = _read_stopwords()
                _tokenizer = _build_tokenizer()
    return _tokenizer


def stopwords() -> frozenset[str]:
    """Return the stop-word set (loading it if needed) so callers can inspect what is dropped."""
    preload()
    return _stopwords


def tokenize(text: str) -> list[str]:
    """Split already-normalised text into words, without stop words and punctuation.

    A module-level function so that a scikit-learn Pipeline using it can be pickled. HMM
    new-word guessing is off: it is slower and the character n-gram features cover unknown words.
    """
    tokenizer = preload()
    words = tokenizer.lcut(text, HMM=False)
    return [w for w in words if w not in _stopwords and _WORDLIKE.search(w)]
