"""Settings for the storage-ceiling server of bench/alerts.py: Hotwash's own
settings with one extra endpoint (alerts_ceiling_urls). It exists only in the
bench; the product never has a bare write endpoint."""

from hotwash.settings import *  # noqa: F403

ROOT_URLCONF = "alerts_ceiling_urls"
