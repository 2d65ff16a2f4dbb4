"""Benchmarks: figures, not tests. Run ``python -m benchmarks`` (see ``--help``)."""
