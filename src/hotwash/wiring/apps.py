from django.apps import AppConfig


class WiringConfig(AppConfig):
    """The last of Hotwash's apps: checks the configuration, fills the
    registries and connects the others' signals."""

    name = "hotwash.wiring"
    label = "wiring"

    def ready(self) -> None:
        # Imported here, not at the top: they import every app's models and
        # services, which cannot load before the app registry is ready.
        from hotwash.wiring import reactions, startup

        startup.start()
        reactions.connect()
