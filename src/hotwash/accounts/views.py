"""Account pages: sign-in and sign-out (Django's own views) and the
person's preferences."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from hotwash.accounts.preferences import time_zone_names, update_preferences
from hotwash.accounts.services import profile_for
from hotwash.core.errors import DomainError


class PreferencesForm(forms.Form):
    timezone = forms.CharField(
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("Every time in Hotwash is shown to you in this zone."),
        required=False,
    )
    language = forms.CharField(label=gettext_lazy("Language"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "prefs_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget = forms.Select(
            choices=[(name, name.replace("_", " ")) for name in time_zone_names()]
        )
        self.fields["language"].widget = forms.RadioSelect(
            choices=[
                (code, get_language_info(code)["name_local"].capitalize())
                for code, _name in settings.LANGUAGES
            ]
        )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    profile = profile_for(user)
    if request.method != "POST":
        form = PreferencesForm(initial={"timezone": profile.timezone, "language": profile.language})
        return _render(request, form)
    form = PreferencesForm(request.POST)
    form.is_valid()
    language = form.cleaned_data.get("language") or ""
    try:
        update_preferences(user, form.cleaned_data.get("timezone") or "", language)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _render(request, form, status=error.status_code)
    # The next page is in the chosen language, and so is the message on it.
    with translation.override(language):
        messages.success(request, _("Preferences saved."))
    response = HttpResponseRedirect(translate_url(reverse("preferences"), language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _render(request: HttpRequest, form: PreferencesForm, status: int = 200) -> HttpResponse:
    context = {
        "nav": "preferences",
        "form": form,
        "error_form": form if form.errors else None,
        "now": timezone.now(),
    }
    return render(request, "accounts/preferences.html", context, status=status)
