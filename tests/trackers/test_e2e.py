"""End to end, as deployed: a real `hotwash serve`, a real `hotwash worker`
and a GitHub stand-in on loopback that sends a signed webhook back."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integrations.github.standin import GitHubStandIn
from tests.support.servers import running_server, server_database
from tests.support.trackers import SECRET, SECRET_ENV, TOKEN_ENV

# The round trip through processes and the stand-in; the sync's storage on
# each database is the rest of tests/trackers' business.
pytestmark = [pytest.mark.server, pytest.mark.database_independent]


def test_push_through_the_worker_then_close_in_github(tmp_path: Path) -> None:
    with GitHubStandIn() as github, server_database(tmp_path) as database:
        database.env[TOKEN_ENV] = github.token
        database.env[SECRET_ENV] = SECRET
        token = database.create_user("amira")
        tracker_id = database.run(
            "shell",
            "-v0",
            "-c",
            "from hotwash.teams.models import Team;"
            "from django.contrib.auth.models import User;"
            "from hotwash.trackers.models import TrackerConfig;"
            "team = Team.objects.create(name='Payments', slug='payments');"
            "team.members.add(User.objects.get(username='amira'));"
            f"tracker = TrackerConfig(team=team, kind='github', base_url={github.url!r},"
            f" project='acme/payments', token_env={TOKEN_ENV!r}, webhook_secret_env={SECRET_ENV!r});"
            "tracker.full_clean(); tracker.save(); print(tracker.pk)",
        ).strip()

        with (
            running_server(database) as server,
            httpx.Client(
                base_url=f"{server.url}/api/v1",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ) as api,
        ):
            incident = api.post("/incidents", json={"title": "Checkout fails", "severity": 2})
            assert incident.status_code == 201, incident.text
            item = api.post(
                "/action-items",
                json={
                    "title": "Alert on card payment errors",
                    "owner": "amira",
                    "incident": incident.json()["id"],
                    "team": "payments",
                },
            )
            assert item.status_code == 201, item.text
            ref = item.json()["id"]

            pushed = api.post(f"/action-items/{ref}/push")
            assert pushed.status_code == 202, pushed.text
            assert pushed.json()["sync_state"] == "pending"
            assert github.issues == {}  # the server only queued it

            output = database.run("worker", "--once", "--no-periodic")
            assert "push_action_item" in output, output
            (issue,) = github.issues.values()
            assert ref in issue["title"]
            assert f"/en/action-items/{item.json()['number']}/" in issue["body"]
            again = api.post(f"/action-items/{ref}/push")
            assert again.status_code == 409  # linked now

            github.close(issue["number"])
            body, headers = github.webhook(issue["number"], "closed", SECRET)
            webhook_url = f"{server.url}/api/v1/trackers/{tracker_id}/webhook"
            forged = github.deliver(
                webhook_url, body, {**headers, "X-Hub-Signature-256": "sha256=0"}
            )
            assert forged.status_code == 401
            assert api.get(f"/action-items/{ref}").json()["status"] == "open"

            delivered = github.deliver(webhook_url, body, headers)
            assert delivered.status_code == 200, delivered.text
            assert delivered.json()["changed"] is True
            assert api.get(f"/action-items/{ref}").json()["status"] == "done"
