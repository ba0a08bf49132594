"""Web pages for incidents, one module per page."""

from hotwash.incidents.views.actions import (
    add_entry,
    add_participant,
    add_task,
    assign_role,
    change_status,
    complete_task,
    edit_incident,
    step_down,
    take_role,
)
from hotwash.incidents.views.catchup import incident_catchup
from hotwash.incidents.views.detail import incident_detail
from hotwash.incidents.views.detection import record_detection
from hotwash.incidents.views.entries import edit_entry
from hotwash.incidents.views.home import home
from hotwash.incidents.views.listing import incident_list
from hotwash.incidents.views.types import edit_type

__all__ = [
    "add_entry",
    "add_participant",
    "add_task",
    "assign_role",
    "change_status",
    "complete_task",
    "edit_entry",
    "edit_incident",
    "edit_type",
    "home",
    "incident_catchup",
    "incident_detail",
    "incident_list",
    "record_detection",
    "step_down",
    "take_role",
]
