from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from django_tasks_db.apps import TasksAppConfig


class JobsConfig(AppConfig):
    name = "hotwash.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")


class TaskResultsConfig(TasksAppConfig):
    """django-tasks-db under a name people can read, in their language (its
    own is the untranslated "Tasks Database Backend"). Installed in its place
    (settings.INSTALLED_APPS); the label, and so its tables and migrations,
    stay the same."""

    # A lazy string, as Django's AppConfig takes; django-tasks-db annotates str.
    verbose_name = _("Background task results")  # type: ignore[assignment]


# django-tasks and django-tasks-db mark their model's names, fields and
# statuses for translation but ship no French: listed here, makemessages
# keeps them in our catalogue (jobs/locale), where Django finds them.
THIRD_PARTY_STRINGS = [
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
]
