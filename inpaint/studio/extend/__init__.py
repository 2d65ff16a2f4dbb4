"""Extend (outpainting): its panel and its events.

Each feature keeps its page (``panel``) beside what its buttons do (``handler``).
"""
