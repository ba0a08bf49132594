"""What every alert source's parser shares: reading a body into a pydantic
model, the field at fault when it does not fit, and times as the senders
write them.

Parsers are pure: bytes in, `IncomingAlert`s out, or `InvalidPayload`
naming the field at fault (``alerts[3].labels``). Wording that for the
person at the other end is the API's job (alerts/api.py), like every other
validation error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal, TypeVar

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from hotwash.alerts.ingest import IncomingAlert, fingerprint_of
from hotwash.alerts.models import FINGERPRINT_MAX

# Alertmanager and Grafana write "no end yet" as Go's zero time.
_NO_TIME_BEFORE = datetime(1971, 1, 1, tzinfo=UTC)

# Label values are text. Alertmanager and Grafana always send text; our
# generic schema also takes numbers (coerce_numbers_to_str, checked in
# pydantic's Rust core: a Python validator per label cost more than the
# whole database write of a batch).
Labels = dict[str, str]
Status = Literal["firing", "resolved"]


class InvalidPayload(ValueError):
    """A body that is not JSON, or not the shape its source sends. Either
    `message` says what is wrong in a sentence, or `error` is pydantic's
    account of the first field at fault (`field`), for the API to word."""

    def __init__(
        self, *, field: str | None, message: str = "", error: ErrorDetails | None = None
    ) -> None:
        super().__init__(message or (error["msg"] if error else ""))
        self.field = field
        self.message = message
        self.error = error


class Lenient(BaseModel):
    """Someone else's format: fields we do not use are ignored."""

    model_config = ConfigDict(extra="ignore")


class AlertmanagerFormatAlert(Lenient):
    """An alert as Alertmanager's webhook writes it. Grafana's contact point
    writes the same, with two more links, so both sources share this."""

    status: Status = Field(description="firing or resolved.")
    labels: Labels = Field(description="The alert's identifying labels.")
    annotations: Labels = Field(default_factory=dict, description="Summary, description, ...")
    startsAt: datetime = Field(description="When the alert started firing.")
    endsAt: datetime | None = Field(None, description="When it ended (resolved alerts).")
    generatorURL: str = Field("", description="Link to the expression in Prometheus.")
    fingerprint: str = Field(
        "", max_length=FINGERPRINT_MAX, description="Alertmanager's identity of the alert."
    )

    def incoming(
        self, *, group_key: str, group_labels: Labels | None, link: str = ""
    ) -> IncomingAlert:
        """The alert as Hotwash receives it; `link` replaces `generatorURL`
        when the sender has a better one."""
        return IncomingAlert(
            fingerprint=self.fingerprint or fingerprint_of(self.labels),
            status=self.status,
            labels=self.labels,
            annotations=self.annotations,
            starts_at=event_time(self.startsAt),
            ends_at=event_time(self.endsAt),
            generator_url=link or self.generatorURL,
            group_key=group_key,
            group_labels=group_labels,
        )


Model = TypeVar("Model", bound=BaseModel)


def validate(model: type[Model], body: bytes | str) -> Model:
    """The body as `model`, or InvalidPayload naming the first field at fault."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            problem = str(first.get("ctx", {}).get("error", "")) or first["msg"]
            raise InvalidPayload(
                field=None,
                message=_("The request body is not valid JSON: %(problem)s.")
                % {"problem": problem},
            ) from None
        raise InvalidPayload(field=field_path(first["loc"]), error=first) from None


def field_path(loc: Sequence[int | str]) -> str | None:
    """('alerts', 3, 'labels') -> 'alerts[3].labels'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def event_time(value: datetime | None) -> datetime | None:
    """A sender's time, aware, or None for "no time" (Go's zero time)."""
    if value is None:
        return None
    if value.tzinfo is None:  # Go and AWS always send a zone; be safe anyway
        value = value.replace(tzinfo=UTC)
    return None if value < _NO_TIME_BEFORE else value
