"""`labctl lab submission`: the reference, or one near miss or variant, written as a learner hands it in."""
from __future__ import annotations

from labctl.core.loader import LabLoader
from labctl.core.submission import write_submission


def test_a_near_miss_run_by_a_setting_keeps_its_command_over_later_tasks(tmp_path):
    """auth-101's near misses set the app's command; the tasks after them set it again (the reference, one task
    further): the submission must run the near miss, not the reference."""
    lab = LabLoader().load("auth-101")
    plan = write_submission(lab, tmp_path / "nm", near_miss="no-lockout")
    assert plan.settings["app"].endswith("--upto lockout --bug no-lockout")
    assert write_submission(lab, tmp_path / "ref").settings["app"].endswith("--upto restart")


def test_a_near_miss_run_by_an_app_step_keeps_its_command_over_later_tasks(tmp_path):
    lab = LabLoader().load("tokens-101")
    plan = write_submission(lab, tmp_path / "nm", near_miss="alg-none-accepted")
    assert plan.app_command is not None and plan.app_command.endswith("--upto me --bug alg-none-accepted")


def test_a_near_miss_of_sql_replaces_only_its_tasks_files(tmp_path):
    lab = LabLoader().load("databases-101")
    near = lab.near_misses[0]
    reference = write_submission(lab, tmp_path / "ref")
    wrong = write_submission(lab, tmp_path / "nm", near_miss=near.id)
    assert len(wrong.files) == len(reference.files) - len(lab.task(near.task).solution) + len(near.steps)
    changed = [f for f in reference.files if f in wrong.files
               and (tmp_path / "ref" / f).read_bytes() != (tmp_path / "nm" / f).read_bytes()]
    assert changed or set(wrong.files) != set(reference.files)
