"""`load_demo()`: the demo team, and everything they did, in one transaction.

The stories are told from the moment the demo is loaded (to the minute):
the team joined 90 days before it, the oldest incident is some 52 days old,
the newest a few minutes. Every scene of every part (incidents, postmortems,
action items) is played in time order, each with its own moment as `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hotwash.accounts.models import Role
from hotwash.accounts.permissions import can_respond
from hotwash.accounts.services import create_user
from hotwash.demo.actions import action_item_scenes
from hotwash.demo.catalog import service_catalog_scenes
from hotwash.demo.incidents import STORIES, StoryPlayer
from hotwash.demo.postmortems import postmortem_scenes
from hotwash.demo.schedule import play
from hotwash.demo.status import publish_status_update
from hotwash.incidents.models import Incident
from hotwash.notifications.outbox import settle_history

# Documented in `hotwash demo --help` and the README: demo accounts are for
# trying Hotwash out, never for a real instance.
DEMO_PASSWORD = "hotwash-demo"
# The team was there before its incidents.
TEAM_AGE = timedelta(days=90)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    timezone: str
    language: str
    description: str | Promise


DEMO_USERS = (
    DemoUser("admin", Role.ADMIN, "Ada", "Lindqvist", "UTC", "en", _("admin, sees everything")),
    DemoUser(
        "amira", Role.RESPONDER, "Amira", "Haddad", "Europe/London", "en", _("incident commander")
    ),
    DemoUser("sam", Role.RESPONDER, "Sam", "Okafor", "America/New_York", "en", _("responder")),
    DemoUser(
        "lea", Role.RESPONDER, "Léa", "Martin", "Europe/Paris", "fr", _("responder, in French")
    ),
    DemoUser(
        "jonas", Role.RESPONDER, "Jonas", "Berg", "Europe/Berlin", "en", _("database specialist")
    ),
    DemoUser("victor", Role.VIEWER, "Victor", "Nguyen", "UTC", "en", _("viewer, read-only")),
)


class DemoConflict(Exception):
    """The database holds something the demo cannot work with."""


@dataclass
class DemoData:
    users: list[tuple[DemoUser, bool]]  # (user, newly created)
    incidents: list[Incident]


def load_demo() -> DemoData:
    """Create the demo team (reusing accounts that already exist, without
    touching their passwords) and play every story, in one transaction."""
    # Whole minutes read better on a timeline than microseconds.
    present = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        users, created = _ensure_users(joined=present - TEAM_AGE)
        stories = sorted(STORIES, key=lambda story: story.began, reverse=True)
        players = [StoryPlayer(story, users) for story in stories]
        play(
            [
                *service_catalog_scenes(users, joined=present - TEAM_AGE),
                *(scene for player in players for scene in player.scenes(present)),
                *postmortem_scenes(users, present),
                *action_item_scenes(present),
            ]
        )
        incidents = [player.incident for player in players]
        publish_status_update(incidents, users, present)
        # The stories are history: nobody is paged or mailed about them now.
        settle_history(before=present)
    return DemoData([(demo, demo.username in created) for demo in DEMO_USERS], incidents)


def demo_accounts() -> list[tuple[DemoUser, bool]]:
    """The demo accounts the database has (active ones), each with whether
    it still has the demo password, for the sign-in message of a later run."""
    users = User.objects.filter(username__in=[demo.username for demo in DEMO_USERS], is_active=True)
    hashes = dict(users.values_list("username", "password"))
    # check_password, not User.check_password: that one may re-hash and save.
    return [
        (demo, check_password(DEMO_PASSWORD, hashes[demo.username]))
        for demo in DEMO_USERS
        if demo.username in hashes
    ]


def _ensure_users(*, joined: datetime) -> tuple[dict[str, User], set[str]]:
    users: dict[str, User] = {}
    created: set[str] = set()
    for demo in DEMO_USERS:
        existing = User.objects.filter(username=demo.username).first()
        if existing is None:
            existing = create_user(
                demo.username,
                role=demo.role,
                first_name=demo.first_name,
                last_name=demo.last_name,
                timezone_name=demo.timezone,
                language=demo.language,
                now=joined,
            )
            created.add(demo.username)
        elif demo.role != Role.VIEWER and not can_respond(existing):
            raise DemoConflict(
                gettext(
                    "The account %(username)s already exists but cannot change incidents, "
                    "and the demo stories need it to. Load the demo into a fresh database."
                )
                % {"username": demo.username}
            )
        users[demo.username] = existing
    # One hash for the one public password: hashing is deliberately slow,
    # and a salt protects nothing here.
    User.objects.filter(username__in=created).update(password=make_password(DEMO_PASSWORD))
    return users, created
