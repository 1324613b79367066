"""Thespian actors (thin shells over the domain state machines) and their messages.

Role folders: ``edges`` (all I/O: sources, websocket, frame pipe, journal files, catalog),
``app`` (the command line), ``devtools`` (hub, watch), ``bench`` (the benchmark harness).
"""
