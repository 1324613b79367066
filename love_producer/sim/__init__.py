"""Deterministic simulators of SAL components (pure: they produce the samples due at the time
they are asked about)."""
