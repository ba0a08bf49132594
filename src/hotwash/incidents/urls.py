from django.urls import URLPattern, path

from hotwash.incidents import views
from hotwash.incidents.views import links

app_name = "incidents"

# <ref> is "INC-42" or "42"; views resolve it with queries.get_incident.
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<str:ref>/", views.incident_detail, name="detail"),
    path("incidents/<str:ref>/catchup/", views.incident_catchup, name="catchup"),
    path("incidents/<str:ref>/status/", views.change_status, name="status"),
    path("incidents/<str:ref>/details/", views.edit_incident, name="edit"),
    path("incidents/<str:ref>/detection/", views.record_detection, name="detection"),
    path("incidents/<str:ref>/type/", views.edit_type, name="edit-type"),
    path("incidents/<str:ref>/timeline/", views.add_entry, name="add-entry"),
    path(
        "incidents/<str:ref>/timeline/<int:event_id>/edit/",
        views.edit_entry,
        name="edit-entry",
    ),
    path("incidents/<str:ref>/roles/take/", views.take_role, name="take-role"),
    path("incidents/<str:ref>/roles/step-down/", views.step_down, name="step-down"),
    path("incidents/<str:ref>/roles/assign/", views.assign_role, name="assign-role"),
    path("incidents/<str:ref>/tasks/", views.add_task, name="add-task"),
    path("incidents/<str:ref>/tasks/<int:task_id>/done/", views.complete_task, name="task-done"),
    path("incidents/<str:ref>/participants/", views.add_participant, name="add-participant"),
    path("incidents/<str:ref>/links/", links.add_link, name="add-link"),
    path("incidents/<str:ref>/links/remove/", links.remove_link, name="remove-link"),
    path("incidents/<str:ref>/merge/", links.merge, name="merge"),
]
