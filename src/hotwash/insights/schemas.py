"""Request and answer shapes of `GET /api/v1/insights`."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from hotwash.core.api.schemas import ApiModel, one_of
from hotwash.insights.queries import PERIODS


class InsightsQuery(BaseModel):
    period: str | None = Field(
        None,
        description="The last 4 weeks, 13 weeks (default) or 12 months; or give since/until.",
        json_schema_extra=one_of(PERIODS),
    )
    since: str | None = Field(None, description="First day (YYYY-MM-DD); whole weeks are shown.")
    until: str | None = Field(None, description="Last day (YYYY-MM-DD); default today.")
    severity: str | None = Field(None, description="Severities, comma-separated (1-4).")
    type: str | None = Field(None, description="Incident type keys, comma-separated.")
    service: str | None = Field(None, description="A service's name.")
    team: str | None = Field(None, description="A team's short name.")
    chart: str | None = Field(None, description="Only the chart of this name.")


class PeriodOut(ApiModel):
    kind: str = Field(description="4w, quarter, 12m or custom.")
    first_day: date = Field(description="The Monday the period starts on.")
    last_day: date = Field(description="The Sunday it ends on.")
    weeks: int = Field(description="Whole weeks in the period.")


class ChartOut(ApiModel):
    name: str = Field(description="The chart's name (the `chart` parameter).")
    title: str = Field(description="Its title, in the request's language.")
    summary: str = Field(description="What it shows, in one or two sentences.")
    unit: str = Field(description='The unit of its values ("hours"), empty for counts.')
    columns: list[str] = Field(description="Machine names of the table's columns.")
    headers: list[str] = Field(description="The columns' headers, in the request's language.")
    rows: list[list[str | int | float | None]] = Field(
        description="The table: one list of values per row, in the order of `columns`."
    )


class InsightsOut(ApiModel):
    period: PeriodOut = Field(description="The weeks counted.")
    computed_at: datetime = Field(description="When these figures were computed.")
    stale: bool = Field(
        description="True when newer data exists than these figures count: they are being "
        "computed again in the background (ask again in a minute)."
    )
    charts: list[ChartOut] = Field(description="Each chart's data table, in page order.")
