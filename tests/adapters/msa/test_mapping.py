import json
from pathlib import Path

import pytest

from adapters.msa.mapping import read_export
from adapters.sdk import ExportError


def test_a_json_export_is_read() -> None:
    export = {"contract": "c.d", "office": "o", "notices": [{"a": 1}]}
    [notice] = read_export(Path("export.json"), json.dumps(export).encode())
    assert (notice.contract, notice.office, notice.payload) == ("c.d", "o", {"a": 1})


def test_another_kind_of_file_is_refused() -> None:
    with pytest.raises(ExportError, match="unknown kind of export"):
        read_export(Path("export.xlsx"), b"PK")
