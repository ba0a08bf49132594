"""Stand-ins for GitHub, GitLab and Jira Cloud on loopback.

Each is a small threaded HTTP server (http.server) that implements the
documented REST endpoints Hotwash calls, with their status codes,
pagination and rate-limit headers, and that can sign webhooks the way the
real tracker does. Tests script failures (`fail_next`), read what Hotwash
sent (`requests`) and change issues as a person would (`close`, `reopen`).
"""

from tests.trackers_standins.base import Recorded, StandIn
from tests.trackers_standins.github import GitHubStandIn
from tests.trackers_standins.gitlab import GitLabStandIn
from tests.trackers_standins.jira import JiraStandIn

__all__ = ["GitHubStandIn", "GitLabStandIn", "JiraStandIn", "Recorded", "StandIn"]
