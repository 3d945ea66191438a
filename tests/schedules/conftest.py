"""The schedules' tests share one world: a notice relayed and kept, on a test clock."""

from tests.schedules.world import world

__all__ = ["world"]
