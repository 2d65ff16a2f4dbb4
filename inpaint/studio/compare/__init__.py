"""Compare: one or two parameters swept on the current photo, panel and events.

Each feature keeps its page (``panel``) beside what its buttons do (``handler``).
"""
