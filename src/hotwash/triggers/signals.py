"""Signals the triggers app sends.

`policy_fired` is sent inside the transaction that records a firing, for
every firing whatever its mode, with:

- ``firing``: the `PolicyFiring` (policy_id, trigger, mode, action,
  incident, alerts, details);
- ``proposal``: the `Proposal` it made, or None.

Nothing connects here yet (hotwash.wiring.reactions lists every receiver);
it is where the notifications app is to tell people ("notify" mode exists
for exactly that). Receivers must not call the network: queue a task, which
runs only if the transaction commits.
"""

from django.dispatch import Signal

policy_fired = Signal()
