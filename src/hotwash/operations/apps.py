from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What an operator watches and runs: health, readiness, metrics,
    backup and restore. Reads every domain, so it sits with the composition."""

    name = "hotwash.operations"
    label = "operations"
