"""Hotwash: incident response and blameless postmortems."""

__version__ = "0.1.0"
