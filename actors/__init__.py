"""Thespian actors, the asyncio bridge and the I/O edges of love-actors."""
