from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "hotwash.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate

        from hotwash.incidents.models import Participant
        from hotwash.incidents.services import forget_participants

        # Services never remove participants, but an admin may delete an
        # incident; the in-process participant memory must not outlive it.
        post_delete.connect(
            lambda **kwargs: forget_participants(),
            sender=Participant,
            weak=False,
            dispatch_uid="forget-participants",
        )
        # `flush` (tests, `hotwash flush`) empties tables without per-row
        # signals and then sends post_migrate; ids may be reused afterwards.
        post_migrate.connect(
            lambda **kwargs: forget_participants(),
            weak=False,
            dispatch_uid="forget-participants-after-flush",
        )
