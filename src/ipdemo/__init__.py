"""ipdemo: track a government IP plan's targets from plain CSV ledgers."""

__version__ = "0.1.0"
