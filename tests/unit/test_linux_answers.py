"""linux.answers without a box: reading the answers file, and which truths a lab may declare."""
import pytest
from pydantic import ValidationError

from labctl.check_families.linux.answers import Truth, read_answers


def test_read_answers_in_the_spellings_a_learner_uses():
    text = "port=1\r\nname = 'x y'\nid: \"req-1\"\n# a comment\nnot an answer\nport=2\n"
    assert read_answers(text) == {"port": "2", "name": "x y", "id": "req-1"}


@pytest.mark.parametrize("fields", [
    {},                                                     # no truth at all
    {"port_of": "x", "largest_in": "/srv"},                 # two
    {"from_file": "/var/log/x"},                            # no pattern
    {"from_file": "/var/log/x", "pattern": "no group"},
    {"from_file": "/var/log/x", "pattern": "(a)(b)"},
    {"port_of": "x", "near_pattern": "(x)", "near": "y"},   # near answers come from a file
])
def test_truths_a_lab_cannot_declare(fields):
    with pytest.raises(ValidationError):
        Truth(missing="m", wrong="w", **fields)


def test_a_truth_from_a_file_with_near_answers():
    truth = Truth(from_file="/var/log/x", pattern=r"ERROR id=(\S+)", near_pattern=r"id=(\S+)", near="n",
                  missing="m", wrong="w")
    assert truth.near == "n"
