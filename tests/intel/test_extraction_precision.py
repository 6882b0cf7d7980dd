"""Precision and recall of free-text extraction on the labelled corpus, per kind.

The corpus (``tests/intel/corpus/extraction/``) is advisory-like prose in several styles with
the traps that wreck precision: version, build and section numbers, OIDs, file names,
dotted abbreviations, framework names, and values cut across lines as PDF text comes out.
Run with ``-s`` to see the table.
"""

import pytest

from tests.intel.extraction_corpus import documents, score, table
from vaka.intel.parsing.extract import extract
from vaka.intel.parsing.observables import KINDS

TARGET = 0.95
DOCUMENTS = documents()


def certain_pairs(text: str) -> set[tuple[str, str]]:
    return {(i.kind, i.value) for i in extract(text)}


@pytest.fixture(scope="module")
def scores():
    result = score(DOCUMENTS, certain_pairs)
    print("\n" + table(result))
    return result


def test_corpus_has_many_documents_and_every_kind():
    labelled = {kind for doc in DOCUMENTS for kind, _ in doc.truth}
    assert len(DOCUMENTS) >= 15
    assert labelled == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_precision_is_at_least_target_for_each_kind(scores, kind):
    s = scores[kind]
    assert s.precision >= TARGET, "\n".join(e for e in s.errors if "extra" in e)


@pytest.mark.parametrize("kind", KINDS)
def test_recall_is_at_least_target_for_each_kind(scores, kind):
    s = scores[kind]
    assert s.recall >= TARGET, "\n".join(e for e in s.errors if "missed" in e)


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.name)
def test_values_cut_by_a_line_break_are_offered_as_uncertain(doc):
    offered = {(i.kind, i.value) for i in extract(doc.text, uncertain=True) if not i.certain}
    assert doc.uncertain <= offered


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.name)
def test_no_uncertain_value_is_returned_without_asking(doc):
    assert all(i.certain for i in extract(doc.text))
