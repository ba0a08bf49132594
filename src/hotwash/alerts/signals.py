"""The signal the triggers app listens to (connected in
hotwash.wiring.reactions).

`alerts_received` is sent INSIDE the ingestion transaction, once per alert
group a request notified (also when nothing changed: a repeat notification
is a heartbeat, e.g. Alertmanager's always-firing Watchdog), with:

- ``group``: the `AlertGroup`, already updated (status, labels,
  last_notified_at, resolved_at). On PostgreSQL its row is locked until the
  transaction ends, so concurrent requests for the same group run their
  receivers one after the other and see each other's `group.incident`; on
  SQLite every write transaction is serialised anyway. A receiver that
  opens an incident sets ``group.incident`` and saves that field.
- ``new_alerts``: the `Alert` rows seen for the first time now (usually
  firing; an alert can arrive already resolved, when it fired and ended
  between two notifications: it is then in ``resolved_alerts`` too).
- ``refired_alerts``: alerts that were resolved and fire again.
- ``resolved_alerts``: alerts resolved by this notification.
- ``now``: the time of the request.

When a group has been resolved for longer than the grouping window
(ALERTS_GROUP_WINDOW_SECONDS) and fires again, it starts a new episode:
``first_fired_at`` is reset and ``incident`` cleared before the signal is
sent, so a receiver treats it like a new group.

Receivers must stay cheap (a storm sends thousands of requests) and must
not call the network; queue a task for that. An exception in a receiver
rolls the whole request back, and the sender answers 5xx, so the monitoring
system retries: nothing is lost.

On SQLite, concurrent requests share one transaction and one commit
(committer.py): their alerts are stored together, then each request's
signals are sent in arrival order, with the same AlertGroup instance for a
group that several of them notified (so a receiver sees the incident an
earlier request's receiver set). A group's status is then the one after
all of them. A receiver's exception makes only its own request fail (the
others are run again, each on its own).
"""

from django.dispatch import Signal

alerts_received = Signal()
