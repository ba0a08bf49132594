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
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotwash.accounts.models import ApiToken
from hotwash.accounts.preferences import time_zone_names, update_preferences
from hotwash.accounts.services import profile_for, revoke_api_token
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


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the signed-in person's own API tokens."""
    user = _person(request)
    api_token = get_object_or_404(ApiToken, pk=token_id, user=user)
    revoke_api_token(api_token, actor=user)
    messages.success(
        request,
        _("The API token %(name)s (%(prefix)s…) is revoked; anything using it is now refused.")
        % {"name": api_token.name or _("without a name"), "prefix": api_token.prefix},
    )
    return HttpResponseRedirect(reverse("preferences"))


def _person(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _live_tokens(user: User) -> QuerySet[ApiToken]:
    """The person's tokens that are not revoked, newest first (expired ones
    too, so they can see why a script stopped)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def _render(request: HttpRequest, form: PreferencesForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    context = {
        "nav": "preferences",
        "form": form,
        "error_form": form if form.errors else None,
        "now": now,
        "tokens": list(_live_tokens(_person(request))),
    }
    return render(request, "accounts/preferences.html", context, status=status)
