"""Domain errors raised by service functions.

Views, API routers and commands translate these into form errors, JSON
4xx responses (hotwash.core.api.errors) or CLI messages; the service has
already changed nothing.
"""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """Base class: a request the domain refuses, with a message for a person."""

    status_code = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        problems: list[str] | None = None,
        problem_fields: list[str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        # What is still wrong, one sentence each, when the message sums up
        # several (the API lists them after it in `errors`).
        self.problems = list(problems or [])
        # The field each of `problems` is about, when they are about
        # different fields (an incident's custom fields); `field` otherwise.
        self.problem_fields = list(problem_fields or [])

    def problem_field(self, index: int) -> str | None:
        """The field `problems[index]` is about."""
        if index < len(self.problem_fields):
            return self.problem_fields[index]
        return self.field


class InvalidInput(DomainError):
    """A value is missing, malformed or out of range; `field` names it."""

    status_code = 422


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409
