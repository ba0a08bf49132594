"""The worker's task that pushes one action item to its tracker.

Retries are not the queue's business here: the TrackerLink row records each
attempt, and `services.attempt_push` enqueues the next one (with
`run_after`) when trying again can help. Tests call `push_action_item.call`
(or `services.attempt_push`) directly to run an attempt synchronously.
"""

from __future__ import annotations

from django_tasks import task

from hotwash.trackers import services


@task()
def push_action_item(link_id: int) -> str:
    return services.attempt_push(link_id)
