from django.apps import AppConfig


class WiringConfig(AppConfig):
    """The last of Hotwash's apps: connects the others' signals."""

    name = "hotwash.wiring"
    label = "wiring"

    def ready(self) -> None:
        # Imported here, not at the top: it imports every app's models and
        # services, which cannot load before the app registry is ready.
        from hotwash.wiring import reactions

        reactions.connect()
