"""Asterisk Manager Interface: a sans-IO protocol (protocol.py) and an asyncio client
that logs in, hands every event to a callback and reconnects (client.py)."""
