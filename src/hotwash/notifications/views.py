"""The notification preferences page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hotwash.core.errors import NotFound
from hotwash.incidents.models import Service
from hotwash.incidents.queries import get_incident, visible_incidents
from hotwash.notifications import follows
from hotwash.notifications.conf import schedule
from hotwash.notifications.events import EventType
from hotwash.notifications.models import FOLLOWABLE_EVENTS, Follow
from hotwash.notifications.preferences import preference_for, update_notification_preferences


class NotificationPreferencesForm(forms.Form):
    reminders_muted = forms.BooleanField(
        label=gettext_lazy("Do not remind me before due dates"),
        help_text=gettext_lazy(
            "Reminders a few days before an action item or postmortem of yours is due."
        ),
        required=False,
    )
    digests_muted = forms.BooleanField(
        label=gettext_lazy("Do not send me the weekly digest"),
        help_text=gettext_lazy("A weekly summary of your open action items and postmortems."),
        required=False,
    )

    followed_events = forms.MultipleChoiceField(
        label=gettext_lazy("Mail me these events of the incidents and services I follow"),
        help_text=gettext_lazy(
            "Follow an incident or a service from its page. Leave every box empty to receive "
            "none of these mails."
        ),
        choices=[(str(event), EventType(event).label) for event in FOLLOWABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "notify_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if not form.is_valid():
            # Only a forged choice can fail: say so, change nothing.
            return render(
                request, "notifications/preferences.html", _context(user, form), status=400
            )
        update_notification_preferences(
            user,
            digests_muted=bool(form.cleaned_data.get("digests_muted")),
            reminders_muted=bool(form.cleaned_data.get("reminders_muted")),
            followed_events=form.cleaned_data.get("followed_events") or [],
        )
        messages.success(request, _("Notification preferences saved."))
        return HttpResponseRedirect(reverse("notifications:preferences"))
    preference = preference_for(user)
    form = NotificationPreferencesForm(
        initial={
            "digests_muted": preference.digests_muted,
            "reminders_muted": preference.reminders_muted,
            "followed_events": list(preference.followed_events),
        }
    )
    return render(request, "notifications/preferences.html", _context(user, form))


def _context(user: User, form: NotificationPreferencesForm) -> dict[str, Any]:
    followed = Follow.objects.filter(user=user)
    return {
        "nav": "preferences",
        "form": form,
        "schedule": schedule(),
        "has_email": bool(user.email),
        "email": user.email,
        # Only incidents the person can still see are named.
        "followed_incidents": visible_incidents(user)
        .filter(follows__in=followed)
        .order_by("-declared_at"),
        "followed_services": Service.objects.filter(follows__in=followed).order_by("name"),
    }


# --- following an incident or a service -------------------------------------------


def _person(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the button was on (`next`, if it is one of ours)."""
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return HttpResponseRedirect(target)


@login_required
@require_POST
def follow_incident(request: HttpRequest, ref: str) -> HttpResponse:
    user = _person(request)
    try:
        incident = get_incident(user, ref)
    except NotFound as error:
        raise Http404(error.message) from None
    if request.POST.get("follow") == "0":
        follows.unfollow(user, incident)
        messages.success(request, _("You no longer follow %(ref)s.") % {"ref": incident.ref})
    else:
        follows.follow(user, incident)
        messages.success(
            request,
            _("You follow %(ref)s: its events reach you by mail.") % {"ref": incident.ref},
        )
    return _back(request, reverse("incidents:detail", args=[incident.ref]))


@login_required
@require_POST
def follow_service(request: HttpRequest, name: str) -> HttpResponse:
    user = _person(request)
    service = Service.objects.filter(name=name).first()
    if service is None:
        raise Http404(_("No service %(name)s.") % {"name": name})
    if request.POST.get("follow") == "0":
        follows.unfollow(user, service)
        messages.success(request, _("You no longer follow %(name)s.") % {"name": service.name})
    else:
        follows.follow(user, service)
        messages.success(
            request,
            _("You follow %(name)s: its incidents reach you by mail.") % {"name": service.name},
        )
    return _back(request, reverse("notifications:preferences"))
