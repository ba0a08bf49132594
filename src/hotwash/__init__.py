"""Hotwash: incident response and blameless postmortems."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client when it is imported (click, and rich
# and pygments where they are installed: a tenth of a second of CPU in every
# process that sends anything). Hotwash never runs that client; a None entry
# makes the import fail, which httpx expects and answers with a stub.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: not importable
