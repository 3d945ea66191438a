"""`make run`: the hub, the six adapters and a département's month played through them."""
