"""The classifier package's version, recorded in every model it trains."""

__version__ = "0.1.0"
