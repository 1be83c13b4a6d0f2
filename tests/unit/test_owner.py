"""The owner id: random per LABCTL_HOME, kept in it, and the older path-hash label still counts."""
from __future__ import annotations

import shutil
import threading

import pytest

from labctl.core.errors import LabctlError
from labctl.core.owner import legacy_owner_id, owner_id, owners_of


def test_made_once_kept_and_different_for_every_home(tmp_path):
    first = owner_id(tmp_path / "a")
    assert len(first) == 16 and owner_id(tmp_path / "a") == first
    assert owner_id(tmp_path / "b") != first
    assert (tmp_path / "a" / "owner-id").read_text().strip() == first


def test_a_moved_home_keeps_its_owner_and_a_same_path_on_another_laptop_does_not(tmp_path):
    first = owner_id(tmp_path / "home")
    shutil.move(tmp_path / "home", tmp_path / "elsewhere")
    assert owner_id(tmp_path / "elsewhere") == first
    assert owner_id(tmp_path / "home") != first  # the same path, a new home: another owner


def test_the_older_path_hash_still_means_this_home(tmp_path):
    assert owners_of(tmp_path) == {owner_id(tmp_path), legacy_owner_id(tmp_path)}
    assert legacy_owner_id(tmp_path) != owner_id(tmp_path)


def test_many_labctl_starting_at_once_agree(tmp_path):
    found: list[str] = []
    threads = [threading.Thread(target=lambda: found.append(owner_id(tmp_path))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1


def test_a_damaged_file_is_replaced_and_an_unwritable_home_says_so(tmp_path):
    (tmp_path / "owner-id").write_text("not an id\n")
    assert len(owner_id(tmp_path)) == 16
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(LabctlError, match="cannot write labctl's owner id") as info:
        owner_id(blocked / "home")
    assert "LABCTL_HOME" in info.value.hint
