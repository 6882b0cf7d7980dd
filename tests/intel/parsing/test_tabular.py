"""CSV input (vaka.intel.parsing.tabular): pure, no database."""

import pytest

from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.tabular import read_csv


def test_lines_ended_by_carriage_returns_alone_are_read():
    # Old Mac exports end lines with CR only: csv refused them ("new-line character seen
    # in unquoted field"), which reached the user as a server error.
    rows, problems = read_csv(b"value\r198.51.100.7\rphish-portal.net\r", file="list.csv")
    assert [row.value for row in rows] == ["198.51.100.7", "phish-portal.net"]
    assert [row.line for row in rows] == [2, 3]
    assert problems == []


def test_a_field_over_the_csv_size_limit_is_an_input_error_naming_the_line():
    with pytest.raises(InputError) as raised:
        read_csv(b"value\nphish-portal.net\n" + b"a" * 200_000 + b"\n", file="list.csv")
    problem = raised.value.problems[0]
    assert (problem.file, problem.line) == ("list.csv", 3)
    assert "field larger than field limit" in problem.message
