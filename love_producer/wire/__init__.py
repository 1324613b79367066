"""The LOVE wire format: frames and their encoding, manager messages, inbound requests."""
