"""Request and response shapes of the incidents' API (its OpenAPI document).

Shapes only, as everywhere in the API (hotwash.core.api.schemas): choice
fields are typed loosely and documented with their allowed values, and the
service functions check the values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, get_args

from ninja import HeaderEx, P, PathEx
from pydantic import BaseModel, Field, WithJsonSchema
from pydantic.config import JsonDict

from hotwash.core.api.errors import Error
from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import TIME_DOC, ApiModel, one_of
from hotwash.incidents.models import DetectionSource, IncidentRole, Status, TimelineKind
from hotwash.incidents.queries import NONE, SORTS, trigger_choices
from hotwash.incidents.services import TEXT_MAX, TITLE_MAX
from hotwash.policies import ROLE_KEYS, FieldKind

FIELD_KINDS: tuple[str, ...] = get_args(FieldKind)

# Accepted loosely (1, "2", "SEV3", "sev4"); the service checks the value.
SeverityIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 4},
                {"type": "string", "pattern": "^([Ss][Ee][Vv])?[1-4]$"},
            ],
            "description": "1, 2, 3 or 4, or SEV1 to SEV4. SEV1 is the most severe.",
            "examples": [2, "SEV2"],
        }
    ),
]


# Choice fields: the allowed values are documented, but the service checks
# them (case-insensitively, with a message that names the choices).
StatusIn = Annotated[
    Any,
    WithJsonSchema({"type": "string", "enum": Status.values, "description": "Lifecycle status."}),
]
DetectionSourceIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "enum": DetectionSource.values,
            "description": "How the problem was detected.",
        }
    ),
]
TypeIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "description": "An incident type's key (GET /api/v1/incident-types lists them).",
            "examples": ["privacy-breach"],
        }
    ),
]
FIELDS_DOC = (
    "The type's custom fields, by key: text, a number, a choice's key, a date "
    "(YYYY-MM-DD), a username (person) or true/false (yes-no). "
    "GET /api/v1/incident-types lists each type's fields."
)
EntryKindIn = Annotated[
    Any,
    WithJsonSchema({"type": "string", "enum": ["note", "decision"], "description": "Entry kind."}),
]


# --- incidents ------------------------------------------------------------------


TITLE_DOC: JsonDict = {"maxLength": TITLE_MAX}
TEXT_DOC: JsonDict = {"maxLength": TEXT_MAX}


class IncidentCreate(ApiModel):
    """Declare an incident. Only the title is required."""

    title: str = Field(
        description="What is wrong, in a few words.",
        json_schema_extra=TITLE_DOC,
        examples=["Checkout fails for card payments"],
    )
    severity: SeverityIn = Field(None, description="Default: SEV3.")
    status: StatusIn = Field(None, description="Default: investigating.")
    summary: str = Field("", description="What is known so far.", json_schema_extra=TEXT_DOC)
    impact: str = Field(
        "",
        description="Who is affected and how (the impact statement).",
        json_schema_extra=TEXT_DOC,
    )
    services: list[str] = Field(
        default_factory=list,
        description="Names of the services affected; unknown names are created.",
        examples=[["checkout", "payments"]],
    )
    private: bool | None = Field(
        None,
        description="Visible only to participants and admins (security, personnel). "
        "Left out: as the type says (security incidents and privacy breaches are private).",
    )
    detection_source: DetectionSourceIn = Field(
        None,
        description="Left out: not recorded (never guessed); the incident page asks for it.",
    )
    type: TypeIn = Field(
        None,
        description="The incident type's key (default: outage). The type presets the "
        "severity and privacy you leave out, and may require fields.",
    )
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description=FIELDS_DOC,
        examples=[{"personal_information": "Names and e-mail addresses", "people_affected": 120}],
    )
    impact_started_at: datetime | None = Field(
        None, description=f"When users started to be affected. {TIME_DOC}"
    )
    detected_at: datetime | None = Field(
        None, description=f"When the problem was noticed (default: now). {TIME_DOC}"
    )


class IncidentPatch(ApiModel):
    """Change some fields of an incident. Send only the fields to change;
    each real change writes a timeline entry. Time fields accept null to clear them."""

    title: str | None = Field(None, description="New title.", json_schema_extra=TITLE_DOC)
    summary: str | None = Field(None, description="New summary.", json_schema_extra=TEXT_DOC)
    impact: str | None = Field(
        None, description="New impact statement.", json_schema_extra=TEXT_DOC
    )
    status: StatusIn = Field(None, description="New status.")
    severity: SeverityIn = Field(None, description="New severity.")
    services: list[str] | None = Field(None, description="The full new list of services affected.")
    # Not nullable: null must never quietly make a private incident public.
    # (The default is never used: only fields present in the request apply.)
    private: bool = Field(
        default_factory=bool, description="Make the incident private (true) or not (false)."
    )
    detection_source: DetectionSourceIn = Field(
        None, description='New detection source; "" for not recorded.'
    )
    type: TypeIn = Field(
        None,
        description="A new incident type. Values of fields the new type does not have "
        "are dropped; its required fields must be sent in `fields`.",
    )
    fields: dict[str, Any] | None = Field(
        None,
        description="Custom field values to set, by key; a field left out is not "
        "touched, null clears it. " + FIELDS_DOC,
    )
    impact_started_at: datetime | None = Field(None, description=f"Impact started. {TIME_DOC}")
    detected_at: datetime | None = Field(None, description=f"Detected. {TIME_DOC}")
    acknowledged_at: datetime | None = Field(None, description=f"Acknowledged. {TIME_DOC}")
    mitigated_at: datetime | None = Field(None, description=f"Mitigated. {TIME_DOC}")
    resolved_at: datetime | None = Field(None, description=f"Resolved. {TIME_DOC}")
    closed_at: datetime | None = Field(None, description=f"Closed. {TIME_DOC}")
    expected_status: StatusIn = Field(
        None,
        description=(
            "The status your change was chosen from: if the incident is no longer in it "
            "(someone moved it meanwhile), nothing changes and the answer is 409."
        ),
    )
    expected_severity: SeverityIn = Field(
        None,
        description=(
            "The severity your change was chosen from: if the incident no longer has it, "
            "nothing changes and the answer is 409."
        ),
    )


# Fields of IncidentPatch that say what a change was based on, not what to change.
EXPECTED_FIELDS = {"expected_status": "status", "expected_severity": "severity"}


def _trigger_values(schema: JsonDict) -> None:
    # When the schema is generated, not at import: the keys come from the
    # triggers app's model, read once the apps are loaded.
    keys = [key for key, _label in trigger_choices()]
    schema["items"] = {"type": "string", **one_of([*keys, NONE])}


class IncidentListQuery(BaseModel):
    status: list[str] = Field(
        default_factory=list,
        description=(
            "Only these statuses; repeat the parameter or separate with commas. "
            "`open` means every status before resolved."
        ),
        json_schema_extra={"items": {"type": "string", **one_of([*Status.values, "open"])}},
    )
    severity: list[str] = Field(
        default_factory=list,
        description="Only these severities (1-4 or SEV1-SEV4); repeatable or comma-separated.",
    )
    service: str | None = Field(
        None, description="Only incidents affecting this service; `none` for those with none."
    )
    since: str | None = Field(
        None,
        description="Declared on or after this day (YYYY-MM-DD, your time zone).",
        json_schema_extra={"format": "date"},
    )
    until: str | None = Field(
        None,
        description="Declared on or before this day (YYYY-MM-DD, your time zone).",
        json_schema_extra={"format": "date"},
    )
    q: str | None = Field(None, description="Text the title contains (case-insensitive).")
    type: list[str] = Field(
        default_factory=list,
        description="Only incidents of these types (keys); repeatable or comma-separated.",
    )
    field: list[str] = Field(
        default_factory=list,
        description="Only incidents whose custom field has this value, as `key:value` "
        "(e.g. `privacy_office_notified:false`, `people_affected:120`); exact match, "
        "repeat for several (all must match).",
    )
    team: str | None = Field(
        None,
        description="Only incidents affecting a service this team owns (the team's short "
        "name, its slug).",
    )
    trigger: list[str] = Field(
        default_factory=list,
        description="Only incidents these trigger policies opened (trigger keys): a firing "
        "declared the incident, or accepting a firing's declare proposal did; `none` for "
        "incidents a person declared. Repeatable or comma-separated.",
        json_schema_extra=_trigger_values,
    )
    detection: list[str] = Field(
        default_factory=list,
        description="Only incidents detected this way; `none` for those where nobody "
        "recorded it. Repeatable or comma-separated.",
        json_schema_extra={"items": {"type": "string", **one_of([*DetectionSource.values, NONE])}},
    )
    merged: str | None = Field(
        None,
        description="Duplicates merged into another incident: `no` leaves them out (as "
        "insights counts), `yes` lists only them; both by default.",
        json_schema_extra=one_of(["yes", "no"]),
    )
    sort: str | None = Field(
        None,
        description="Order: -declared (newest first, default), declared, severity, -updated.",
        json_schema_extra=one_of(list(SORTS)),
    )
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class FieldValueOut(ApiModel):
    key: str = Field(description="The field's key.", examples=["people_affected"])
    name: str = Field(description="The field's name in the request's language.")
    kind: str = Field(
        description='The field\'s kind ("" for a value the type no longer defines).',
        json_schema_extra=one_of(["", *FIELD_KINDS]),
    )
    required: bool = Field(description="Whether the type requires it.")
    value: Any = Field(description="The stored value, or null.")
    text: str = Field(description="The value as a person reads it, in the request's language.")


class IncidentOut(ApiModel):
    id: str = Field(description="Human reference, e.g. INC-42.", examples=["INC-42"])
    number: int = Field(description="The number in the reference.", examples=[42])
    title: str = Field(description="What is wrong.")
    status: str = Field(
        description="Lifecycle status code.", json_schema_extra=one_of(Status.values)
    )
    status_name: str = Field(description="The status in the request's language.")
    severity: int = Field(description="1 (most severe) to 4.")
    severity_name: str = Field(description="The severity's configured name, e.g. Major.")
    severity_label: str = Field(description="SEV1 to SEV4.")
    severity_description: str = Field(description="The severity's configured definition.")
    private: bool = Field(description="Visible only to participants and admins.")
    detection_source: str = Field(
        description='How it was detected; "" when not recorded yet.',
        json_schema_extra=one_of(["", *DetectionSource.values]),
    )
    type: str = Field(description="The incident type's key.", examples=["privacy-breach"])
    type_name: str = Field(description="The type's name in the request's language.")
    fields: dict[str, Any] = Field(
        description="Custom field values by key (fields without a value are left out)."
    )
    field_details: list[FieldValueOut] = Field(
        description="Every field of the type, in its order, with its name and the "
        "value as a person reads it."
    )
    services: list[str] = Field(description="Names of the services affected.")
    summary: str = Field(description="What is known so far.")
    impact: str = Field(description="The impact statement.")
    impact_started_at: datetime | None = Field(description="When users started to be affected.")
    detected_at: datetime | None = Field(description="When the problem was noticed.")
    declared_at: datetime = Field(description="When the incident was declared.")
    acknowledged_at: datetime | None = Field(description="When someone took charge.")
    mitigated_at: datetime | None = Field(description="When the impact stopped growing.")
    resolved_at: datetime | None = Field(description="When the impact ended.")
    closed_at: datetime | None = Field(description="When the incident was closed.")
    updated_at: datetime = Field(description="Last change of any kind.")
    version: int = Field(
        description="Raised by one by every change to the incident itself (a field, "
        "status, severity, privacy, services, a time, a role); not by timeline entries, "
        'tasks or participants. Sent as the ETag; send it back as If-Match: "<version>" '
        "to change the incident only if nobody else did meanwhile.",
        examples=[3],
    )
    merged: bool = Field(
        description="Whether it was merged into another incident as a duplicate "
        "(POST /api/v1/incidents/{ref}/merge); it is then closed and stays readable."
    )
    merged_into: str | None = Field(
        description="The incident it was merged into (e.g. INC-41); null when not merged, "
        "or merged into a private incident you cannot see."
    )
    roles: dict[str, str | None] = Field(
        description="Current holder (username) of each role, or null when vacant.",
        examples=[
            {"commander": "amira", "scribe": None, "communications": None, "operations": None}
        ],
    )
    created_by: str | None = Field(description="Username of whoever declared it (null: Hotwash).")
    url: str = Field(description="The incident's web page.")


class IncidentPage(Page[IncidentOut]):
    items_doc = "This page of incidents."


# --- timeline -------------------------------------------------------------------


class EntryCreate(ApiModel):
    """Add a note or decision to the timeline."""

    body: str = Field(
        description="What happened or was decided.",
        json_schema_extra=TEXT_DOC,
        examples=["Rolled back the 14:02 deploy."],
    )
    kind: EntryKindIn = Field("note", description="note or decision.")
    key_moment: bool = Field(False, description="Highlight it in the catch-up and the postmortem.")
    occurred_at: datetime | None = Field(
        None, description=f"When it happened, to back-date it (default: now). {TIME_DOC}"
    )


class EntryEdit(ApiModel):
    """Correct an entry; the previous values are kept in its history."""

    body: str | None = Field(None, description="New text.", json_schema_extra=TEXT_DOC)
    occurred_at: datetime | None = Field(None, description=f"New time it happened. {TIME_DOC}")
    key_moment: bool | None = Field(None, description="Mark or unmark as a key moment.")


class TimelineQuery(BaseModel):
    key_moments: bool = Field(False, description="Only key moments.")
    after_id: int | None = Field(
        None,
        ge=0,
        description="Only entries written after the entry with this id (for polling).",
    )
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class EntryOut(ApiModel):
    id: int = Field(description="Entry id.")
    kind: str = Field(description="Kind of entry.", json_schema_extra=one_of(TimelineKind.values))
    kind_name: str = Field(description="The kind in the request's language.")
    body: str = Field(description="Text as written (empty for entries Hotwash writes).")
    text: str = Field(description="The entry as one sentence in the request's language.")
    key_moment: bool = Field(description="Highlighted in catch-up and postmortem.")
    occurred_at: datetime = Field(description="When it happened (may be back-dated).")
    recorded_at: datetime = Field(description="When it was written.")
    author: str | None = Field(description="Username of the writer; null when Hotwash wrote it.")
    edited_at: datetime | None = Field(description="Last correction, or null.")
    data: dict[str, Any] = Field(description="Structured detail of entries Hotwash writes.")


class EntryPage(Page[EntryOut]):
    items_doc = "This page of entries, oldest first."


class EntryEditOut(ApiModel):
    editor: str | None = Field(description="Username of whoever made the correction.")
    edited_at: datetime = Field(description="When.")
    before: dict[str, Any] = Field(description="Values before the correction.")
    after: dict[str, Any] = Field(description="Values after it.")


# --- roles, participants, tasks -------------------------------------------------


class RoleAssign(ApiModel):
    user: str | None = Field(
        description="Username of the new holder, or null to leave the role vacant.",
        examples=["amira"],
    )


class RoleOut(ApiModel):
    role: str = Field(description="Role code.", json_schema_extra=one_of(IncidentRole.values))
    role_name: str = Field(description="The role in the request's language.")
    user: str | None = Field(description="Username of the holder, or null when vacant.")
    user_name: str | None = Field(
        description="The holder's full name (the username when it has none), or null when vacant."
    )
    started_at: datetime | None = Field(description="When they took it.")
    ended_at: datetime | None = Field(description="When they handed it over (history only).")
    assigned_by: str | None = Field(description="Username of whoever assigned it.")


class RolesOut(ApiModel):
    current: list[RoleOut] = Field(description="Every role and its current holder.")
    history: list[RoleOut] = Field(description="Every assignment, oldest first.")


class ParticipantAdd(ApiModel):
    user: str = Field(description="Username of the person to bring in.", examples=["sam"])


class ParticipantOut(ApiModel):
    user: str = Field(description="Username.")
    name: str = Field(description="Full name, or the username.")
    joined_at: datetime = Field(description="When they joined.")


class TaskCreate(ApiModel):
    title: str = Field(
        description="The piece of work.",
        json_schema_extra=TITLE_DOC,
        examples=["Check replica lag"],
    )
    assignee: str | None = Field(None, description="Username of whoever does it.")


class TaskOut(ApiModel):
    id: int = Field(description="Task id.")
    title: str = Field(description="The piece of work.")
    status: str = Field(description="open or done.", json_schema_extra=one_of(["open", "done"]))
    assignee: str | None = Field(description="Username of whoever does it, or null.")
    created_at: datetime = Field(description="When it was created.")
    done_at: datetime | None = Field(description="When it was done, or null.")


# --- catch-up -------------------------------------------------------------------


class CatchupOut(ApiModel):
    id: str = Field(description="Human reference, e.g. INC-42.")
    number: int = Field(description="The number in the reference.")
    title: str = Field(description="What is wrong.")
    url: str = Field(description="The incident's web page.")
    private: bool = Field(description="Visible only to participants and admins.")
    status: str = Field(description="Lifecycle status code.")
    status_name: str = Field(description="The status in the request's language.")
    status_since: datetime = Field(description="When the incident entered its current status.")
    for_seconds: int = Field(description="Seconds in the current status.")
    severity: int = Field(description="1 (most severe) to 4.")
    severity_name: str = Field(description="The severity's configured name.")
    severity_label: str = Field(description="SEV1 to SEV4.")
    severity_description: str = Field(description="The severity's configured definition.")
    impact_started_at: datetime = Field(
        description="When impact began (or, if unknown, when it was detected or declared)."
    )
    impact_seconds: int = Field(description="Seconds of impact so far (until resolved).")
    impact: str = Field(description="The impact statement.")
    roles: dict[str, str | None] = Field(description="Current holder of each role, or null.")
    key_moments: list[EntryOut] = Field(description="Key moments, oldest first.")
    latest: list[EntryOut] = Field(description="The five latest entries, newest first.")
    open_tasks: list[TaskOut] = Field(description="Tasks not done yet.")
    summary: str = Field(description="All of the above as a short paragraph for a person.")


# --- reference data -------------------------------------------------


class ChoiceOut(ApiModel):
    key: str = Field(description="The value to send.")
    name: str = Field(description="Its name in the request's language.")


class FieldDefinitionOut(ApiModel):
    key: str = Field(description="The key to send in `fields`.", examples=["people_affected"])
    name: str = Field(description="The field's name in the request's language.")
    help: str = Field(description='What to write, in the request\'s language ("" if none).')
    kind: str = Field(description="Kind of value.", json_schema_extra=one_of(list(FIELD_KINDS)))
    required: bool = Field(description="Declaring an incident of this type needs it.")
    choices: list[ChoiceOut] = Field(description="For choice fields: the values allowed.")


class IncidentTypeOut(ApiModel):
    key: str = Field(description="The key to send as `type`.", examples=["privacy-breach"])
    name: str = Field(description="The type's name in the request's language.")
    description: str = Field(description="What the type is for, in the request's language.")
    default: bool = Field(description="Whether incidents are of this type unless told.")
    default_severity: int | None = Field(
        description="The severity it presets (null: the organisation's default)."
    )
    private: bool = Field(description="Whether its incidents are private unless told.")
    template: str | None = Field(
        description="The postmortem template drafted on resolution (null: by severity)."
    )
    roles: list[str] = Field(
        description="The roles it needs filled.", json_schema_extra={"items": one_of(ROLE_KEYS)}
    )
    fields: list[FieldDefinitionOut] = Field(description="Its custom fields, in order.")


class SeverityOut(ApiModel):
    level: int = Field(description="1 (most severe) to 4.")
    label: str = Field(description="SEV1 to SEV4.")
    name: str = Field(description="Configured name in the request's language.")
    description: str = Field(description="Configured definition in the request's language.")


# --- parameters and responses shared by the operations ---------------------------------

IncidentRef = PathEx[str, P(description="The incident: INC-42, inc-42 or 42.", examples=["INC-42"])]
EntryId = PathEx[int, P(description="The timeline entry's id.")]
TaskId = PathEx[int, P(description="The task's id.")]
RolePath = PathEx[
    str, P(description="commander, scribe, communications or operations.", examples=["commander"])
]

IfMatch = HeaderEx[
    str | None,
    P(
        alias="If-Match",
        description='Make the change only if the incident is still at this version: "7", '
        "as the ETag gives it (7 works too). Left out, the change is made whatever the "
        "version. A stale version answers 412 with the current one.",
        examples=['"7"'],
    ),
]


class StaleOut(Error):
    """The answer when If-Match names an older version than the current one."""

    version: int = Field(description="The incident's current version.")
