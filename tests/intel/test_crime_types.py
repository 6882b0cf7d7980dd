import pytest

from vaka.intel import crime_types
from vaka.intel.crime_types import CrimeType


def test_tag_round_trips_through_code_of() -> None:
    for code in CrimeType.values:
        assert crime_types.code_of(crime_types.tag(code)) == code


def test_unknown_code_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(ValueError, match="“piracy” is not a crime type; use one of bec"):
        crime_types.tag("piracy")


def test_aliases_and_tags_are_read_once_each_in_taxonomy_order() -> None:
    labels = ["Ransomware", 'vaka:crime-type="phishing"', "phishing", "apt",
              'circl:incident-classification="phishing"', 'vaka:crime-type="nonsense"']
    assert crime_types.codes_in(labels) == ["ransomware", "phishing"]
