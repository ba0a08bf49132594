"""The base of every request and response shape of the API; the shapes are
also its OpenAPI document.

Input models check only shape (a string, a list, a time) and that every
date and time is within the range Hotwash computes with; text nothing can
store (a NUL, a lone surrogate) never reaches them (both rules:
hotwash.core.validators). Domain rules (title length, known statuses, times
not in the future) live in the service functions, so the web, the API and
the CLI refuse the same things with the same messages. Choice fields are
therefore typed loosely and documented with their allowed values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache
from typing import Any, Self, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator
from pydantic.config import JsonDict, JsonValue
from pydantic_core import PydanticCustomError

from hotwash.core.validators import date_problem

TIME_DOC = "ISO 8601 with a time zone, e.g. 2026-11-26T03:12:00+00:00; not in the future."


def one_of(values: Iterable[str]) -> JsonDict:
    """Document the values a string field takes."""
    return {"enum": list[JsonValue](values)}


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _dates_in_range(self, info: ValidationInfo) -> Self:
        """Every date and time a request sends is within the range Hotwash
        computes with (`hotwash.core.validators`). Answers are validated
        through these models too; what is already stored is never refused
        on its way out. Once per model, over its date fields only: an answer
        of 200 incidents pays almost nothing for it."""
        if _validating_response(info):
            return self
        for name in _date_fields(type(self)):
            for moment in _dates_in(getattr(self, name)):
                if date_problem(moment) is not None:
                    raise PydanticCustomError(
                        "date_out_of_range",
                        "{value} is out of range.",
                        {"value": moment.isoformat(), "field": name},
                    )
        return self


def _validating_response(info: ValidationInfo) -> bool:
    # Ninja validates an operation's answer with the response status in the
    # context, and a request's parameters and body without it.
    return isinstance(info.context, dict) and "response_status" in info.context


@cache
def _date_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` whose type holds a date or a time."""
    return tuple(name for name, info in model.model_fields.items() if _holds_date(info.annotation))


def _holds_date(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, date):
        return True
    return any(_holds_date(argument) for argument in get_args(annotation))


def _dates_in(value: Any) -> Iterator[date]:
    """The dates and times in a field's value: itself, or in its list or
    mapping (nested models check their own fields)."""
    if isinstance(value, date):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _dates_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _dates_in(item)
