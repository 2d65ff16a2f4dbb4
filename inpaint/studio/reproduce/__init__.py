"""Reproduce: the form from a saved PNG, and the form as code.

Each feature keeps its page (``panel``) beside what its buttons do (``handler``).
"""
