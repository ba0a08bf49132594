"""Request and response shapes of the service catalog API (its OpenAPI
document). Input models check only shape; the services check the rules
(name, runbook addresses, known teams), so the web, the API and the YAML
import refuse the same things with the same messages."""

from __future__ import annotations

from ninja import P, PathEx
from pydantic import BaseModel, Field

from hotwash.core.api.paging import DEFAULT_PER_PAGE, Page, PageNumber, PerPage
from hotwash.core.api.schemas import ApiModel
from hotwash.incidents.services import TEXT_MAX
from hotwash.teams.services import CHANNEL_MAX, CONTACT_MAX, NAME_MAX

ServiceName = PathEx[
    str, P(description="The service's name, as in the catalog.", examples=["payments API"])
]


class Runbook(ApiModel):
    # Both required; checked by the services, whose message says which
    # runbook lacks what.
    title: str = Field(
        "", description="What the runbook is for (required).", examples=["Restart the queue"]
    )
    url: str = Field(
        "",
        description="Its address (required): http or https only.",
        examples=["https://wiki.example.org/runbooks/queue"],
    )


class ServiceCreate(ApiModel):
    """Add a service to the catalog."""

    name: str = Field(
        description="The service's name, unique.",
        json_schema_extra={"maxLength": NAME_MAX},
        examples=["payments API"],
    )
    description: str = Field(
        "",
        description="What it does, who depends on it.",
        json_schema_extra={"maxLength": TEXT_MAX},
    )
    owners: list[str] = Field(
        default_factory=list,
        description="The owning teams, by short name (slug); each must exist.",
        examples=[["platform"]],
    )
    escalation_contact: str = Field(
        "",
        description="Who to reach when the owners do not answer.",
        json_schema_extra={"maxLength": CONTACT_MAX},
    )
    runbooks: list[Runbook] = Field(default_factory=list, description="Runbook links.")
    chat_channel: str = Field(
        "", description="Where it is discussed.", json_schema_extra={"maxLength": CHANNEL_MAX}
    )
    public: bool = Field(False, description="Shown on the public status page.")
    public_name: str = Field(
        "",
        description="The name the public knows it by, if not `name`.",
        json_schema_extra={"maxLength": NAME_MAX},
    )


class ServicePatch(ApiModel):
    """Change some fields; send only those. `owners` and `runbooks` replace
    the whole list."""

    name: str | None = Field(None, description="New name.")
    description: str | None = Field(None, description="New description.")
    owners: list[str] | None = Field(None, description="The owning teams (short names).")
    escalation_contact: str | None = Field(None, description="New escalation contact.")
    runbooks: list[Runbook] | None = Field(None, description="The runbook links.")
    chat_channel: str | None = Field(None, description="New chat channel.")
    public: bool | None = Field(None, description="Shown on the public status page.")
    public_name: str | None = Field(None, description="New public name.")


class OwnerOut(ApiModel):
    slug: str = Field(description="The team's short name.")
    name: str = Field(description="The team's name.")
    email: str = Field(description="The team's list address, or empty.")
    chat_channel: str = Field(description="The team's chat channel, or empty.")


class ServiceOut(ApiModel):
    name: str = Field(description="The service's name.")
    description: str = Field(description="What it does.")
    owners: list[OwnerOut] = Field(description="The owning teams, by name.")
    escalation_contact: str = Field(description="Who to reach when the owners do not answer.")
    runbooks: list[Runbook] = Field(description="Runbook links.")
    chat_channel: str = Field(description="Where it is discussed.")
    public: bool = Field(description="Shown on the public status page.")
    public_name: str = Field(description="The name the public knows it by, or empty.")
    url: str = Field(description="The service's web page.")


class ServiceListQuery(BaseModel):
    q: str | None = Field(None, description="Text in the name, description or public name.")
    team: str | None = Field(None, description="Only services this team owns (short name).")
    page: PageNumber = 1
    per_page: PerPage = DEFAULT_PER_PAGE


class ServicePage(Page[ServiceOut]):
    items_doc = "This page of services, by name."
