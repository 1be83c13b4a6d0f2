"""A learner's file reads the same whatever editor saved it: BOM or not, CRLF, CR or LF."""
from __future__ import annotations

import pytest

from labctl.core.text import NotUtf8Error, learner_text, read_learner_text


@pytest.mark.parametrize("raw", [
    b"SELECT 1;\nSELECT 2;\n",
    b"\xef\xbb\xbfSELECT 1;\nSELECT 2;\n",
    b"SELECT 1;\r\nSELECT 2;\r\n",
    b"\xef\xbb\xbfSELECT 1;\r\nSELECT 2;\r\n",
    b"SELECT 1;\rSELECT 2;\r",
])
def test_every_editor_spelling_reads_the_same(raw):
    assert learner_text(raw, "q.sql") == "SELECT 1;\nSELECT 2;\n"


def test_a_bom_inside_the_text_is_kept():
    """Only a leading byte order mark is the file's; one inside a string literal is the learner's data."""
    assert learner_text(b"SELECT '\xef\xbb\xbf'", "q.sql") == "SELECT '\ufeff'"


def test_other_encodings_are_named_with_the_byte_and_what_to_do():
    with pytest.raises(NotUtf8Error) as caught:
        learner_text("café".encode("utf-16"), "q.sql")
    assert str(caught.value) == ("q.sql is not UTF-8 text (byte 0xff at position 0); "
                                 "save it as UTF-8 in your editor and try again")


def test_read_learner_text_reads_the_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\xef\xbb\xbfa\r\nb")
    assert read_learner_text(path) == "a\nb"
