"""Hotspot detection for early warning: volume spikes and clusters of similar requests."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["Cluster", "ClusterItem", "Spike", "cluster_requests", "volume_spikes"]

# Scales the median absolute deviation to a standard deviation for normally distributed data.
_MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class Spike:
    """A key whose current count is well above its usual level."""

    key: str
    current: int
    baseline: float
    ratio: float
    score: float


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """One request to cluster: its id, text, and a place key (district/street/address) if known."""

    id: int
    text: str
    place: str | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A group of similar requests at one place, with a short representative label."""

    ids: list[int]
    place: str | None
    label: str


# --------------------------------------------------------------------------- volume spikes


def volume_spikes(
    history: Mapping[str, Sequence[int]],
    *,
    current: Mapping[str, int],
    min_count: int = 5,
    threshold: float = 3.0,
    min_ratio: float = 1.5,
    min_history: int = 4,
) -> list[Spike]:
    """Flag keys (categories, districts…) whose count in the current window is unusually high.

    ``history[key]`` holds the counts of the previous windows (e.g. the last 28 days or 8 weeks,
    oldest first, *not* including the current one); a key in ``current`` but absent from
    ``history`` is taken as zero in every previous window.

    The rule, robust to past spikes and to noise:

    * baseline = median of the history; spread = 1.4826 × MAD (median absolute deviation);
    * noise = max(spread, √max(baseline, 1)), i.e. never below Poisson noise, with a floor of
      one so that a key going from 0 to 1 or 2 is not a spike;
    * score = (current − baseline) / noise, a robust z-score;
    * ratio = current / max(baseline, 1);
    * flagged when current ≥ ``min_count``, score ≥ ``threshold`` and ratio ≥ ``min_ratio``
      (the last keeps high-volume keys from flagging small but "significant" rises).

    Keys with fewer than ``min_history`` previous windows are not judged. Results are sorted
    by score, highest first.
    """
    windows = max((len(h) for h in history.values()), default=0)
    spikes = []
    for key in sorted(set(history) | set(current), key=str):
        past = list(history.get(key, [0] * windows))
        count = int(current.get(key, 0))
        if len(past) < min_history or count < min_count:
            continue
        spike = _judge(str(key), past, count)
        if spike.score >= threshold and spike.ratio >= min_ratio:
            spikes.append(spike)
    return sorted(spikes, key=lambda s: (-s.score, s.key))


def _judge(key: str, past: list[int], count: int) -> Spike:
    baseline = float(statistics.median(past))
    spread = _MAD_TO_SD * statistics.median(abs(x - baseline) for x in past)
    noise = max(spread, math.sqrt(max(baseline, 1.0)))
    return Spike(
        key=key,
        current=count,
        baseline=baseline,
        ratio=round(count / max(baseline, 1.0), 3),
        score=round((count - baseline) / noise, 3),
    )


# --------------------------------------------------------------------------- clustering

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+")
_LABEL_CHARS = 30
# Cells of the similarity matrix held densely at once (about 16 MB of float32).
_BLOCK_CELLS = 4_000_000


def cluster_requests(
    items: Sequence[ClusterItem],
    *,
    min_size: int = 3,
    threshold: float = 0.5,
) -> list[Cluster]:
    """Group requests describing the same problem at the same place, largest group first.

    Texts are compared by cosine similarity of character 2–3-gram TF-IDF vectors (no word
    segmentation needed for Chinese), and two items may only be linked when their places are
    equal or one is None. Groups are formed around centres (Taylor–Butina clustering): the
    item with the most neighbours at similarity ≥ ``threshold`` takes all its still-free
    neighbours, then the next, and so on. Unlike connected components this cannot chain
    unrelated requests together through shared boilerplate, every member resembles the
    centre, and the centre's text serves as the group's label.
    """
    nodes = _unique_requests(items)
    if sum(len(group) for group in nodes.values()) < max(min_size, 1):
        return []
    keys, groups = list(nodes), list(nodes.values())
    vectors = _vectorise([text for text, _ in keys])
    codes = _place_codes([place for _, place in keys])
    weights = np.asarray([len(g) for g in groups], dtype=np.float64)
    graph = _similarity_graph(vectors, codes, threshold)
    clusters = []
    for centre, members in _star_clusters(graph, codes, weights):
        chosen = [items[i] for m in members for i in groups[m]]
        if len(chosen) >= min_size:
            place = next((c.place for c in chosen if c.place is not None), None)
            label = _short_label(items[groups[centre][0]].text)
            clusters.append(Cluster(sorted(c.id for c in chosen), place, label))
    return sorted(clusters, key=lambda c: (-len(c.ids), c.ids[0]))


def _unique_requests(items: Sequence[ClusterItem]) -> dict[tuple[str, str | None], list[int]]:
    """Item indices grouped by (normalised text, place): identical copies (a petition pasted
    by many callers) become one node, which keeps the similarity graph small."""
    nodes: dict[tuple[str, str | None], list[int]] = {}
    for i, item in enumerate(items):
        text = _normalise(item.text)
        if text:
            nodes.setdefault((text, item.place), []).append(i)
    return nodes


def _normalise(text: str) -> str:
    """Text reduced to what carries meaning for n-grams: NFKC folds full-width letters and
    digits (common in Chinese input) to ASCII, and punctuation and spaces are dropped so
    "路灯不亮，" and "路灯不亮。" share all their n-grams."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def _vectorise(texts: list[str]) -> csr_matrix:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True,
                                 dtype=np.float32)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # Every text shorter than one n-gram: nothing is similar to anything.
        return csr_matrix((len(texts), 1), dtype=np.float32)


def _place_codes(places: list[str | None]) -> np.ndarray:
    """Places as integers, -1 for unknown, so compatibility checks are vectorised."""
    index: dict[str, int] = {}
    return np.asarray([-1 if p is None else index.setdefault(p, len(index)) for p in places],
                      dtype=np.int64)


def _similar_pairs(left: csr_matrix, right: csr_matrix,
                   threshold: float) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield, block by block, index pairs (and similarity) of rows of ``left`` and ``right``
    at least ``threshold`` alike; blocking keeps a large place from materialising a huge dense
    matrix."""
    step = max(1, _BLOCK_CELLS // max(right.shape[0], 1))
    right_t = right.T.tocsr()
    for start in range(0, left.shape[0], step):
        block = (left[start:start + step] @ right_t).toarray()
        r, c = np.nonzero(block >= threshold)
        sims = block[r, c]
        # 32-bit indices halve the memory of a dense graph (thousands of near-copies).
        yield (r + start).astype(np.int32), c.astype(np.int32), sims


def _similarity_graph(vectors: csr_matrix, codes: np.ndarray, threshold: float) -> csr_matrix:
    """Sparse matrix of similarities ≥ ``threshold`` between items whose places are compatible.

    Computed place by place (each place against itself and the place-less items), so the
    work grows with the size of the places, not the square of the whole batch.
    """
    n = len(codes)
    loose = np.flatnonzero(codes < 0).astype(np.int32)
    every = np.arange(n, dtype=np.int32)
    blocks = [(np.flatnonzero(codes == code).astype(np.int32), None)
              for code in np.unique(codes[codes >= 0])]
    if len(loose):
        blocks.append((loose, every))
    rows, cols, sims = [], [], []
    for members, targets in blocks:
        if targets is None:
            targets = np.concatenate([members, loose])
        for r, c, s in _similar_pairs(vectors[members], vectors[targets], threshold):
            rows.append(members[r])
            cols.append(targets[c])
            sims.append(s)
    graph = coo_matrix((np.concatenate(sims), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(n, n)).tocsr()
    graph.sort_indices()
    return graph


def _star_clusters(graph: csr_matrix, codes: np.ndarray,
                   weights: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (centre, members) groups of nodes, centres taken in order of most neighbours
    first (a node counting as many requests as it stands for)."""
    n = len(codes)
    owner = np.repeat(np.arange(n), np.diff(graph.indptr))
    degree = np.bincount(owner, weights=weights[graph.indices], minlength=n)
    free = np.ones(n, dtype=bool)
    for centre in np.lexsort((np.arange(n), -degree)):
        if not free[centre]:
            continue
        span = slice(graph.indptr[centre], graph.indptr[centre + 1])
        neighbours, sims = graph.indices[span], graph.data[span]
        keep = free[neighbours]
        neighbours, sims = neighbours[keep], sims[keep]
        code = codes[centre] if codes[centre] >= 0 else _likeliest_place(neighbours, sims, codes)
        if code >= 0:
            # A place-less centre must not gather requests from two different places.
            neighbours = neighbours[(codes[neighbours] == code) | (codes[neighbours] < 0)]
        members = np.union1d(neighbours, [centre])
        free[members] = False
        yield int(centre), members


def _likeliest_place(neighbours: np.ndarray, sims: np.ndarray, codes: np.ndarray) -> int:
    """Place of the most similar placed neighbour, or -1 if none has a place."""
    placed = codes[neighbours] >= 0
    if not placed.any():
        return -1
    return int(codes[neighbours[placed]][np.argmax(sims[placed])])


def _short_label(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"
