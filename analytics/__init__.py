"""Statistics: adoption of opinions, mailbox handling, live events; published reports (docs/analytics.md).

Reads the feature modules' tables and the core's workflow history, read-only; nothing imports it.
"""
