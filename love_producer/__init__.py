"""The domain: interfaces, the LOVE wire format, one state machine per kind of component,
the fleet protocol, link policies, the journal format, simulators and the hub protocol.

No Thespian, no I/O, no clock: time is always a parameter. Imports nothing from ``actors``.
"""
