"""The hub put together: what `hub serve` and `hub up` make on the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.assembly import kafka_bootstrap
from hub.settings import Settings
from tests.modes import UMASKS, not_owner_only, umask


@pytest.mark.parametrize("mask", UMASKS)
@pytest.mark.asyncio
async def test_the_embedded_brokers_folder_and_log_are_owner_only(
    tmp_path: Path, mask: int
) -> None:
    """`hub serve --embedded` and `hub up` make the state's folder (`.hub/`) for the log first."""
    settings = Settings(kafka_bootstrap=None, state_url=f"sqlite:///{tmp_path}/.hub/state.sqlite")
    with umask(mask):
        async with kafka_bootstrap(settings, settings.work_dir) as (_, embedded):
            assert embedded
            assert (tmp_path / ".hub" / "broker.log").is_file()
    assert not_owner_only(tmp_path) == {}
