"""Files edited together: checked in a copy, then written all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.settings import PROJECT_ROOT
from hub.tools.staging import staged_problems, write_together


def test_a_file_that_cannot_be_written_leaves_every_other_as_it_was(tmp_path: Path) -> None:
    kept = tmp_path / "kept.yaml"
    kept.write_text("old\n", encoding="utf-8")
    kept.chmod(0o640)
    (tmp_path / "blocker").write_text("a file, not a folder\n", encoding="utf-8")
    with pytest.raises(OSError, match="blocker"):
        write_together({kept: "new\n", tmp_path / "blocker" / "new.yaml": "x\n"})
    assert kept.read_text("utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "kept.yaml"]
    write_together({kept: "new\n", tmp_path / "folder" / "new.yaml": "x\n"})
    assert kept.read_text("utf-8") == "new\n"
    assert kept.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "folder" / "new.yaml").read_text("utf-8") == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "folder", "kept.yaml"]


def test_the_check_runs_on_a_copy_and_names_the_real_files(tmp_path: Path) -> None:
    contracts, directory = tmp_path / "contracts", tmp_path / "haute-vienne.yaml"
    shutil.copytree(PROJECT_ROOT / "contracts", contracts)
    shutil.copyfile(PROJECT_ROOT / "directory" / "haute-vienne.yaml", directory)
    receipt = contracts / "hub.receipt" / "contract.yaml"
    before = receipt.read_text("utf-8")
    assert staged_problems({}, contracts, directory) == []
    broken = before.replace("producers:", "producers:\n  - nobody/nowhere", 1)
    [problem] = staged_problems({receipt: broken}, contracts, directory)
    assert "nobody/nowhere is not in the directory" in problem
    assert receipt.read_text("utf-8") == before
