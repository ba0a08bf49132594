"""Running Hotwash: health and readiness, metrics, backup and restore."""
