"""Generate: the editor column (photo, prompts, Generate, Cancel, Fetch result), the
parameters generated from the specification, and the events that send jobs.

Each feature keeps its page (``panel``) beside what its buttons do (``handler``).
"""
