"""Temporary: hotwash.alerts.parsers still imports `describe_validation_error`
from here. That module is being moved to hotwash.integrations by another
change of the same refactor, which must not be edited from this one; once it
imports hotwash.core.api.errors, delete this file."""

from hotwash.core.api.errors import describe_validation_error

__all__ = ["describe_validation_error"]
