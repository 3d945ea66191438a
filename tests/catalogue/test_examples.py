"""One rule for the examples, used by `hub contracts check` and by the suite alike."""

import json
import shutil
from pathlib import Path

from hub.catalogue.checks import example_problems
from hub.catalogue.contracts import load_catalogue
from hub.catalogue.examples import example_faults, read_example
from tests.conftest import CONTRACTS, FORMAL_NOTICE


def _planted(tmp_path: Path, kind: str, name: str, payload: dict[str, object]) -> Path:
    root = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, root)
    path = root / FORMAL_NOTICE / "v1" / "examples" / kind / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def _valid() -> dict[str, object]:
    path = CONTRACTS / FORMAL_NOTICE / "v1" / "examples" / "valid" / "saint-junien-minimal.json"
    payload: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return payload


def test_a_valid_example_with_a_comment_is_refused_by_the_check_and_the_suite(
    tmp_path: Path,
) -> None:
    path = _planted(tmp_path, "valid", "commented.json", {"$comment": "a minimal one", **_valid()})
    catalogue = load_catalogue(tmp_path / "contracts")
    expected = (
        f"{path}: a valid example carries a `$comment`, which the closed schema refuses "
        "(schema.additional-properties): remove it, and say what the example shows in its "
        "file name"
    )
    assert expected in example_problems(catalogue)  # `hub contracts check`
    contract = catalogue.contracts[FORMAL_NOTICE]
    assert example_faults(contract, read_example(path)) == [expected]  # the suite's test


def test_an_invalid_example_without_its_rule_is_refused(tmp_path: Path) -> None:
    path = _planted(tmp_path, "invalid", "unsaid.json", {**_valid(), "reason": "other"})
    catalogue = load_catalogue(tmp_path / "contracts")
    [fault] = example_faults(catalogue.contracts[FORMAL_NOTICE], read_example(path))
    assert fault.startswith(f"{path}: an invalid example names the one rule it breaks")
    assert fault in example_problems(catalogue)


def test_an_example_is_read_with_its_contract_major_and_kind() -> None:
    path = CONTRACTS / "ip.transmission" / "v2" / "examples" / "invalid"
    example = read_example(min(path.glob("*.json")))
    assert (example.contract, example.major, example.valid) == ("ip.transmission", 2, False)
    assert example.commented
    assert example.rule
    assert "$comment" not in example.payload
