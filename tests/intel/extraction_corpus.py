"""The labelled extraction corpus (``tests/intel/corpus/extraction/``) and its scoring.

Each document ``NN-name.txt`` (or ``.md``) has a ``NN-name.json`` beside it: for every kind,
the canonical values a careful analyst would store from it, and under ``"uncertain"`` the
``[kind, value]`` pairs that only exist if words are joined across a line break: those must
be offered for review, never stored unasked. Anything else the extractor reports as certain
is a false positive. Shared by the precision test and ``bench/extract.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vaka.intel.parsing.observables import KINDS

CORPUS = Path(__file__).resolve().parent / "corpus" / "extraction"

Pair = tuple[str, str]


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    truth: frozenset[Pair]
    uncertain: frozenset[Pair]


def documents() -> list[Document]:
    """Every labelled document of the corpus, in name order."""
    found = []
    for labels in sorted(CORPUS.glob("*.json")):
        text_file = next(p for p in CORPUS.glob(labels.stem + ".*") if p.suffix != ".json")
        data = json.loads(labels.read_text(encoding="utf-8"))
        unknown = set(data) - set(KINDS) - {"uncertain"}
        assert not unknown, f"{labels.name}: unknown kinds {unknown}"
        truth = {(kind, value) for kind in KINDS for value in data.get(kind, ())}
        uncertain = {(kind, value) for kind, value in data.get("uncertain", ())}
        found.append(Document(labels.stem, text_file.read_text(encoding="utf-8"),
                              frozenset(truth), frozenset(uncertain)))
    return found


@dataclass
class Score:
    """True positives, false positives and false negatives of one kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(docs: Iterable[Document], run: Callable[[str], set[Pair]]) -> dict[str, Score]:
    """Per kind, how the certain values ``run`` reports compare with the labels."""
    scores = {kind: Score() for kind in KINDS}
    for doc in docs:
        reported = run(doc.text)
        for kind, value in reported | doc.truth:
            s = scores[kind]
            if (kind, value) in reported and (kind, value) in doc.truth:
                s.tp += 1
            elif (kind, value) in reported:
                s.fp += 1
                s.errors.append(f"{doc.name}: extra {kind} {value}")
            else:
                s.fn += 1
                s.errors.append(f"{doc.name}: missed {kind} {value}")
    return scores


def table(scores: dict[str, Score]) -> str:
    """The scores as a plain-text table, one kind a line."""
    lines = [f"{'kind':<8}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}"]
    for kind, s in scores.items():
        lines.append(f"{kind:<8}{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.precision:>11.3f}{s.recall:>8.3f}")
    return "\n".join(lines)
