"""`make run`: the hub, the five adapters and a département's month played through them."""
