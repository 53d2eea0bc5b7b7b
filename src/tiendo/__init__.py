"""tiendo: a province's digital-transformation programme as data."""

__version__ = "0.1.0"
