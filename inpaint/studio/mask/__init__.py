"""The Mask tab: the preview of exactly what is sent, and the mask tools beside it.

Each feature keeps its page (``panel``) beside what its buttons do (``handler``).
"""
