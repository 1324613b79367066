"""The protocol of the development hub (a LOVE-manager emulation): groups, subscriptions,
fan-out, initial_state requests."""
