"""`hub adapter new`: the adapter it writes passes the project's checks and its own tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.catalogue.directory import PartnerDirectory
from hub.settings import PROJECT_ROOT
from hub.tools.scaffold import ScaffoldError, scaffold


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project without the CAF adapter, to write it again."""
    root = tmp_path / "project"
    for part in ("adapters", "hub", "contracts", "directory", "pyproject.toml"):
        source = PROJECT_ROOT / part
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, root / part)
    shutil.rmtree(root / "adapters" / "caf")
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").touch()
    return root


def test_the_written_adapter_passes_lint_types_and_its_tests(
    project: Path, directory: PartnerDirectory
) -> None:
    written = scaffold("caf", project, directory)
    assert project / "adapters" / "caf" / "app.py" in written
    bin_dir = Path(sys.executable).parent
    files = [str(p) for p in written if p.suffix == ".py"]
    env = {**os.environ, "PYTHONPATH": str(project)}
    for command in (
        [str(bin_dir / "ruff"), "check", *files],
        [str(bin_dir / "ruff"), "format", "--check", *files],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/adapters/caf"],
    ):
        result = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, check=False, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_partner_or_an_existing_adapter_is_refused(directory: PartnerDirectory) -> None:
    with pytest.raises(ScaffoldError, match="not in the partner directory"):
        scaffold("prefecture", PROJECT_ROOT, directory)
    with pytest.raises(ScaffoldError, match="already there"):
        scaffold("caf", PROJECT_ROOT, directory)
