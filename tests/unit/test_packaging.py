"""The wheel ships labs/, compose/ and checks/ under labctl/_bundled, and no top-level `checks` package."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contents(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("labctl-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "labctl/_bundled/labs/databases-101/lab.yaml" in names
    assert "labctl/_bundled/compose/postgres.yml" in names
    assert "labctl/_bundled/compose/images/postgres/Dockerfile" in names
    assert "labctl/_bundled/checks/sql/__init__.py" in names
    assert not [n for n in names if n.startswith("checks/") or n.startswith("labs/")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "labctl = labctl.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
