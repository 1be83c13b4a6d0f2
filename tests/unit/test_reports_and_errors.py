"""What learners' text can do to reports, and the errors of a home that cannot be written."""
from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from labctl.core.errors import CheckError, LabctlError, ServiceUnavailable
from labctl.core.exit_codes import ExitCode
from labctl.core.grade_report import GradeNote, GradeReport, GradeTest
from labctl.core.learner_progress import ProgressStore
from labctl.core.text import printable

FORGED = "boom\r\x1b[2K\x1b[1;32mScore: 10/10\x1b[0m\u202e\x00"


def test_printable_escapes_control_characters_and_keeps_newlines_and_text():
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("cr\rover") == "cr\\x0dover"
    assert printable("rtl\u202eevil\u2028x") == "rtl\\u202eevil\\u2028x"
    assert printable("héllo ✔ 日本") == "héllo ✔ 日本"


def test_no_report_of_a_grade_carries_a_control_character_or_a_forged_line():
    import xml.etree.ElementTree as ET

    report = GradeReport("databases-101", "Databases 101")
    report.tests.append(GradeTest("Create customers", "create-customers", "fail", FORGED + "\nScore: 10/10", 0.1, 1))
    report.notes.append(GradeNote("sql/\x1b[2J99.sql", "failed: " + FORGED))
    report.fail_to_run(LabctlError("x" + FORGED, "hint\x07"), exit_code=1)
    text = json.dumps(report.to_dict()) + report.markdown() + report.junit_xml().decode()
    assert not any(ord(c) < 32 and c not in "\n\t" for c in text), "a raw control character reached a report"
    ET.fromstring(report.junit_xml())  # parseable
    assert not any(line.startswith("Score:") for line in report.markdown().splitlines())
    assert report.notes[0].file == "sql/\\x1b[2J99.sql"


def test_check_errors_are_labctl_errors_with_the_right_exit_codes():
    assert isinstance(CheckError("x"), LabctlError) and CheckError("x").exit_code == ExitCode.ERROR
    assert ServiceUnavailable("x").exit_code == ExitCode.SERVICE_NOT_READY


@pytest.mark.parametrize("content", [
    '{"labs": {"x": []}}',
    '{"labs": {"x": {"tasks": {"t": "passed"}}}}',
    '{"labs": {"x": {"tasks": {"t": {"attempts": "many"}}}}}',
    '{"labs": {"x": {"tasks": {"t": {"first_passed": 3}}}}}',
    '[1, 2]',
])
def test_a_progress_file_with_wrong_types_is_named_and_left_alone(tmp_path, content):
    (tmp_path / "progress.json").write_text(content)
    store = ProgressStore(tmp_path)
    with pytest.raises(LabctlError, match="is not a labctl progress file") as info:
        store.record_checks("x", [])
    assert "Move it aside" in info.value.hint
    assert (tmp_path / "progress.json").read_text() == content


def test_a_read_only_home_says_so(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)  # root writes anywhere: the file system says no instead
    with pytest.raises(LabctlError, match="cannot write your progress in .*: Read-only file system") as info:
        ProgressStore(tmp_path / "home").reveal_hint("x", "t", 3)
    assert "LABCTL_HOME" in info.value.hint


def test_a_full_disk_says_so_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    store = ProgressStore(tmp_path)
    store.reveal_hint("x", "t", 3)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json, "dump", full)
    with pytest.raises(LabctlError, match="is full, so your progress could not be saved") as info:
        store.reveal_hint("x", "t", 3)
    assert "labctl images prune" in info.value.hint
    assert not list(tmp_path.glob(".progress-*"))
    monkeypatch.undo()
    assert store.lab("x")["t"]["hints_used"] == 1  # the last good file is intact


def test_an_older_task_entry_without_every_key_still_counts(tmp_path):
    (tmp_path / "progress.json").write_text('{"format": 1, "labs": {"x": {"tasks": {"t": {"first_passed": null}}}}}')
    assert ProgressStore(tmp_path).reveal_hint("x", "t", 3) == 1
