"""The Result tab: what a generation produced, and the buttons acting on a shown result.

Each feature keeps its page (``panel``) beside what its buttons do (``handler``).
"""
