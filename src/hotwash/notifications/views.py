"""The notification preferences page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotwash.notifications.conf import schedule
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
        form.is_valid()  # two checkboxes: every input is valid
        update_notification_preferences(
            user,
            digests_muted=bool(form.cleaned_data.get("digests_muted")),
            reminders_muted=bool(form.cleaned_data.get("reminders_muted")),
        )
        messages.success(request, _("Notification preferences saved."))
        return HttpResponseRedirect(reverse("notifications:preferences"))
    preference = preference_for(user)
    form = NotificationPreferencesForm(
        initial={
            "digests_muted": preference.digests_muted,
            "reminders_muted": preference.reminders_muted,
        }
    )
    context = {
        "nav": "preferences",
        "form": form,
        "schedule": schedule(),
        "has_email": bool(user.email),
        "email": user.email,
    }
    return render(request, "notifications/preferences.html", context)
