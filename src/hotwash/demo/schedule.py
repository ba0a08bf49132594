"""Scenes: what the demo does, and when; played in the order they happened.

Each part of the demo (incident stories, postmortems, action items) lists
its scenes with the moment of each; `play` runs them all in time order, so
a service that stamps a row, touches its incident or adds a participant
sees the state that real use would have seen at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Scene:
    """`run(at)` does one thing of the story; every service it calls is
    given `now=at`."""

    at: datetime
    run: Callable[[datetime], None]


def play(scenes: Iterable[Scene]) -> None:
    """Run the scenes oldest first. Scenes at the same moment keep the order
    they were listed in (a story's steps, then the work that follows it)."""
    for scene in sorted(scenes, key=lambda scene: scene.at):
        scene.run(scene.at)
