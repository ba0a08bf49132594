"""Preparing, reviewing and confirming a public version; what stays
published when the original changes; the policy that blocks on blameless
findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from hotwash.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotwash.core.models import AuditRecord
from hotwash.incidents import services as incidents
from hotwash.incidents.models import TimelineKind
from hotwash.policies import load_policies
from hotwash.postmortems import services as postmortems
from hotwash.postmortems.display import describe_postmortem_event
from hotwash.postmortems.models import Postmortem
from hotwash.sharing import queries, services
from hotwash.sharing.models import TITLE, PublicVersion
from tests.sharing.conftest import SECRETS, approve, write
from tests.support.sharing import share_publicly


def _public_texts(version: PublicVersion) -> str:
    return "\n".join(version.texts.values_list("text", flat=True))


def test_a_prepared_version_replaces_what_the_original_names(
    published: Postmortem, responder: User
) -> None:
    version = services.prepare_public_version(published, actor=responder)
    texts = queries.texts_of(version)
    assert texts[("summary", "en")].text == (
        "At 03:20 a responder restarted an internal service ([address removed], "
        "[address removed]) after [email address removed] saw [internal link removed] in "
        "[reference removed]."
    )
    assert texts[("summary", "fr")].text.startswith(
        "À 03:20, une personne intervenante a redémarré un service interne"
    )
    assert texts[(TITLE, "en")].text == "Checkout failed for a responder"
    public = _public_texts(version)
    assert [secret for secret in SECRETS if secret in public] == []
    kinds = [r["kind"] for r in texts[("summary", "en")].replacements]
    assert kinds == ["person", "host", "address", "address", "email", "url", "pattern"]
    assert AuditRecord.objects.filter(action="postmortem.public_version_prepared").count() == 1


def test_nothing_is_public_before_the_author_confirms(
    published: Postmortem, responder: User
) -> None:
    services.prepare_public_version(published, actor=responder)
    published.refresh_from_db()
    assert not published.public
    assert queries.published_of(published) is None


def test_confirming_needs_both_languages_and_says_what_is_missing(
    published: Postmortem, responder: User
) -> None:
    services.prepare_public_version(published, actor=responder)
    with pytest.raises(services.NotReady) as refused:
        services.confirm_public_version(published, actor=responder, confirmed=True)
    assert refused.value.problems == ["The title in French."]
    services.set_title(published, actor=responder, language="fr", title="Le paiement a échoué")
    version = services.confirm_public_version(published, actor=responder, confirmed=True)
    published.refresh_from_db()
    assert published.public and version.confirmed_by == responder
    # The incident's timeline says so, where latecomers and reviewers look.
    assert published.incident is not None
    entry = published.incident.timeline.get(
        kind=TimelineKind.POSTMORTEM, data__event="public_version_confirmed"
    )
    assert describe_postmortem_event(entry).endswith(
        " confirmed the postmortem's public version, the redacted text readers outside see."
    )


def test_a_section_in_one_language_only_is_named(
    make_postmortem: Callable[..., Postmortem], responder: User
) -> None:
    postmortem = make_postmortem(publish=False)
    postmortem = postmortems.transition(postmortem, actor=responder, action="reopen")
    write(postmortem, responder, "en", "The cache was cold.", key="impact")

    approve(postmortem, responder, publish=False)
    services.prepare_public_version(postmortem, actor=responder)
    services.set_title(postmortem, actor=responder, language="fr", title="Titre")
    with pytest.raises(services.NotReady) as refused:
        services.confirm_public_version(postmortem, actor=responder, confirmed=True)
    [problem] = refused.value.problems
    assert problem.startswith("The section “") and problem.endswith("” in French.")


def test_confirming_needs_the_checkbox_and_an_approved_postmortem(
    make_postmortem: Callable[..., Postmortem], responder: User
) -> None:
    postmortem = make_postmortem(publish=False)
    services.prepare_public_version(postmortem, actor=responder)
    services.set_title(postmortem, actor=responder, language="fr", title="Titre")
    with pytest.raises(InvalidInput):
        services.confirm_public_version(postmortem, actor=responder, confirmed=False)
    postmortems.transition(postmortem, actor=responder, action="reopen")
    with pytest.raises(services.NotReady, match="Approve the postmortem"):
        services.confirm_public_version(postmortem, actor=responder, confirmed=True)
    postmortem.refresh_from_db()
    assert not postmortem.public


def test_adding_and_undoing_replacements(published: Postmortem, responder: User) -> None:
    services.prepare_public_version(published, actor=responder)
    draft = services.add_replacement(published, actor=responder, text="Checkout", kind="host")
    title = queries.texts_of(draft)[(TITLE, "en")]
    assert title.text == "An internal service failed for a responder"
    draft = services.undo_replacement(published, actor=responder, original="Amira")
    texts = queries.texts_of(draft)
    assert "Amira" in texts[("summary", "en")].text and "Amira" in texts[("summary", "fr")].text
    # Undone and marked choices carry over to the next version prepared.
    again = services.prepare_public_version(published, actor=responder)
    assert again.kept == ["Amira"] and again.marked == [{"text": "Checkout", "kind": "host"}]
    assert PublicVersion.objects.drafts().filter(postmortem=published).count() == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [("", "person"), ("x" * 201, "person"), ("Amira", "nobody"), ("Zeus", "person")],
)
def test_a_bad_replacement_is_refused_and_changes_nothing(
    published: Postmortem, responder: User, text: str, kind: str
) -> None:
    draft = services.prepare_public_version(published, actor=responder)
    with pytest.raises(InvalidInput):
        services.add_replacement(published, actor=responder, text=text, kind=kind)
    draft.refresh_from_db()
    assert draft.marked == []
    with pytest.raises(InvalidInput):
        services.undo_replacement(published, actor=responder, original="not replaced")


def test_what_was_published_stays_published_when_the_original_changes(
    published: Postmortem, responder: User
) -> None:
    version = share_publicly(published, responder)
    before = _public_texts(version)
    postmortem = postmortems.transition(published, actor=responder, action="reopen")
    write(postmortem, responder, "en", "Rewritten by Amira at 10.9.9.9.")
    version.refresh_from_db()
    assert version.stale and queries.is_stale(version)
    assert _public_texts(version) == before
    assert AuditRecord.objects.filter(action="postmortem.public_version_stale").count() == 1
    # A new version is prepared from the new text; the old one stays until confirmed.
    draft = services.prepare_public_version(postmortem, actor=responder)
    assert not queries.is_stale(draft)
    assert "a responder at [address removed]" in queries.texts_of(draft)[("summary", "en")].text
    assert queries.texts_of(draft)[(TITLE, "fr")].original == "Titre public"
    assert queries.published_of(postmortem) == version


def test_a_stale_draft_cannot_be_confirmed(
    make_postmortem: Callable[..., Postmortem], responder: User
) -> None:
    postmortem = make_postmortem(publish=False)
    services.prepare_public_version(postmortem, actor=responder)
    services.set_title(postmortem, actor=responder, language="fr", title="Titre")
    # A change no signal tells (the title, through the header).
    postmortems.update_postmortem(postmortem, actor=responder, changes={"title": "Renamed"})
    with pytest.raises(services.NotReady, match="changed after"):
        services.confirm_public_version(postmortem, actor=responder, confirmed=True)


def test_a_private_incidents_postmortem_has_no_public_version(
    make_postmortem: Callable[..., Postmortem], responder: User
) -> None:
    postmortem = make_postmortem(private=True)
    with pytest.raises(InvalidInput, match="private incident"):
        services.prepare_public_version(postmortem, actor=responder)
    assert not PublicVersion.objects.exists()


def test_who_may(published: Postmortem, viewer: User, responder: User) -> None:
    with pytest.raises(PermissionDenied):
        services.prepare_public_version(published, actor=viewer)
    private = incidents.declare_incident(actor=responder, title="Quiet", private=True)
    hidden = postmortems.draft_for_incident(private, actor=responder)
    with pytest.raises(NotFound):
        services.prepare_public_version(hidden, actor=viewer)


def test_making_public_goes_through_the_public_version_and_withdrawing_still_works(
    published: Postmortem, responder: User
) -> None:
    with pytest.raises(InvalidInput, match="confirming its public version") as refused:
        postmortems.update_postmortem(published, actor=responder, changes={"public": True})
    assert refused.value.field == "public"
    share_publicly(published, responder)
    postmortems.update_postmortem(published, actor=responder, changes={"public": False})
    published.refresh_from_db()
    assert not published.public
    # Sharing again is confirming again.
    with pytest.raises(Conflict):
        services.confirm_public_version(published, actor=responder, confirmed=True)
    share_publicly(published, responder)
    published.refresh_from_db()
    assert published.public


def test_blameless_findings_block_only_when_policy_says_so(
    make_postmortem: Callable[..., Postmortem],
    responder: User,
    settings: Settings,
    tmp_path: Path,
) -> None:
    postmortem = make_postmortem()
    postmortem = postmortems.transition(postmortem, actor=responder, action="reopen")
    write(postmortem, responder, "en", "It was human error: the deploy should have waited.")

    postmortem = approve(postmortem, responder)
    policy = tmp_path / "policy.yaml"
    policy.write_text("sharing:\n  block_on_blameless_findings: true\n", encoding="utf-8")
    settings.POLICY_FILE = str(policy)
    load_policies.cache_clear()
    try:
        services.prepare_public_version(postmortem, actor=responder)
        services.set_title(postmortem, actor=responder, language="fr", title="Titre")
        with pytest.raises(services.NotReady, match="blameless") as refused:
            services.confirm_public_version(postmortem, actor=responder, confirmed=True)
        assert any("human error" in problem for problem in refused.value.problems)
        postmortem.refresh_from_db()
        assert not postmortem.public
    finally:
        settings.POLICY_FILE = ""
        load_policies.cache_clear()
    services.confirm_public_version(postmortem, actor=responder, confirmed=True)
