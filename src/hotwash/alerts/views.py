"""Pages: the alert groups, and one group with its alerts. Any signed-in
person may look (alerts come from machines and say what the machines saw),
except at a group of a private incident they may not see: it is hidden like
the incident (see alerts.queries)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hotwash.alerts.models import Alert, AlertGroup, AlertSource, AlertStatus
from hotwash.alerts.queries import visible_groups
from hotwash.incidents.queries import visible_incidents

GROUPS_PER_PAGE = 50
ALERTS_PER_PAGE = 100


class GroupFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *AlertStatus.choices],
    )
    source = forms.ChoiceField(label=_("Source"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = AlertSource.objects.order_by("name").values_list("pk", "name")[:500]
        source = self.fields["source"]
        assert isinstance(source, forms.ChoiceField)
        source.choices = [("", _("Any")), *((str(pk), name) for pk, name in sources)]
        for name in self.fields:
            self.fields[name].widget.attrs["id"] = f"filter_{name}"

    def groups(self, groups: QuerySet[AlertGroup]) -> QuerySet[AlertGroup]:
        groups = groups.select_related("source")
        if not self.is_valid():
            return groups
        if self.cleaned_data["status"]:
            groups = groups.filter(status=self.cleaned_data["status"])
        if self.cleaned_data["source"]:
            groups = groups.filter(source_id=int(self.cleaned_data["source"]))
        return groups


def safe_link(url: str) -> str:
    """The source's link, if it is a web address (never javascript: or
    anything else a monitoring system might have been told to send)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


def _incident_refs(request: HttpRequest, groups: list[AlertGroup]) -> dict[int, str]:
    """The groups' incidents the viewer may see: id -> INC-42."""
    ids = {group.incident_id for group in groups if group.incident_id}
    if not ids:
        return {}
    visible = visible_incidents(request.user).filter(pk__in=ids)
    return {incident.pk: incident.ref for incident in visible.only("pk")}


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    form = GroupFilterForm(request.GET)
    groups_seen = form.groups(visible_groups(request.user))
    paginator = Paginator(groups_seen.order_by("-last_notified_at", "-id"), GROUPS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    groups = list(page.object_list)
    counts: dict[int, dict[str, int]] = {group.pk: {} for group in groups}
    for row in (
        Alert.objects.filter(group_id__in=counts)
        .values("group_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["group_id"]][row["status"]] = row["n"]
    refs = _incident_refs(request, groups)
    rows = [
        {
            "group": group,
            "firing": counts[group.pk].get(AlertStatus.FIRING, 0),
            "total": sum(counts[group.pk].values()),
            "incident_ref": refs.get(group.incident_id or 0, ""),
        }
        for group in groups
    ]
    context = {
        "nav": "alerts",
        "form": form,
        "page": page,
        "rows": rows,
    }
    return render(request, "alerts/group_list.html", context)


# Shown first, in this order; the rest follow by name.
LEADING_ANNOTATIONS = ("summary", "description")


def _annotations(annotations: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, text, link) for each annotation; a runbook_url and the like
    become links when they are web addresses."""
    names = [name for name in LEADING_ANNOTATIONS if name in annotations]
    names += sorted(name for name in annotations if name not in LEADING_ANNOTATIONS)
    return [(name, str(annotations[name]), safe_link(str(annotations[name]))) for name in names]


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = visible_groups(request.user).select_related("source").filter(pk=pk).first()
    if group is None:
        raise Http404(_("No such alert group."))
    alerts = Alert.objects.filter(group=group).order_by("-last_received_at", "-id")
    paginator = Paginator(alerts, ALERTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "alert": alert,
            "link": safe_link(alert.generator_url),
            "annotations": _annotations(alert.annotations),
        }
        for alert in page.object_list
    ]
    context = {
        "nav": "alerts",
        "group": group,
        "incident_ref": _incident_refs(request, [group]).get(group.incident_id or 0, ""),
        "page": page,
        "rows": rows,
    }
    return render(request, "alerts/group_detail.html", context)
