"""Files edited together: checked in a temporary copy first, then written all or nothing.

`hub partner add` changes the directory and several contracts at once and writes an adapter.
Its edits are applied to a temporary copy of the contracts and the directory, which must pass
every check of `hub contracts check`, before any real file is touched. Each file is then
written to a temporary beside it and synced, and only when every temporary is there are they
renamed over their files: a crash while writing leaves the old files (and stray temporaries),
and each rename replaces a whole file, never a half-written one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hub.catalogue.checks import consistency, example_problems
from hub.catalogue.compat import compatibility_problems
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.directory import DirectoryError, PartnerDirectory, load_directory
from hub.catalogue.meta import ContractError
from hub.core.reach import unreached


def catalogue_problems(catalogue: Catalogue, directory: PartnerDirectory) -> list[str]:
    """Every fault `hub contracts check` finds in these contracts and this directory."""
    problems = consistency(catalogue, directory) + example_problems(catalogue)
    problems += [str(consumer) for consumer in unreached(catalogue, directory)]
    return problems + compatibility_problems(catalogue)


def staged_problems(
    texts: dict[Path, str], contracts_path: Path, directory_path: Path
) -> list[str]:
    """The faults of the contracts and directory as they would be with `texts` written.

    Each key of `texts` is the directory file or a file under `contracts_path`; nothing under
    either is touched: the check runs on a temporary copy.
    """
    contracts_path, directory_path = contracts_path.resolve(), directory_path.resolve()
    with tempfile.TemporaryDirectory(prefix="hub-staged-") as folder:
        contracts = Path(folder) / "contracts"
        directory = Path(folder) / "directory" / directory_path.name
        shutil.copytree(contracts_path, contracts)
        directory.parent.mkdir()
        shutil.copyfile(directory_path, directory)
        for path, text in texts.items():
            path = path.resolve()  # noqa: PLW2901
            copy = (
                directory
                if path == directory_path
                else contracts / path.relative_to(contracts_path)
            )
            copy.write_text(text, encoding="utf-8")
        try:
            problems = catalogue_problems(load_catalogue(contracts), load_directory(directory))
        except (ContractError, DirectoryError) as error:
            problems = [str(error)]
        # The faults name the real files, not their temporary copies.
        return [
            p.replace(str(contracts), str(contracts_path)).replace(
                str(directory), str(directory_path)
            )
            for p in problems
        ]


def write_together(texts: dict[Path, str]) -> None:
    """Write every file of `texts`, each whole: temporaries first, then one rename each.

    A file that exists keeps its mode; a new one gets the usual mode under the umask.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.staged")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            staged.append((temporary, path))
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            if path.exists():
                temporary.chmod(path.stat().st_mode & 0o7777)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        temporary.replace(path)
    for folder in {path.parent for _, path in staged}:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # the renames themselves survive a power loss
        finally:
            os.close(descriptor)
