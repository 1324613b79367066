"""love-actors domain: interface descriptions, LOVE wire format and per-component state
machines. No Thespian and no I/O here: time is always a parameter."""
