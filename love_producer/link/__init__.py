"""Policies of the link to the LOVE-manager: the outbox, backoff and registration, request
routing, the drain schedule, rate meters."""
