"""The admin index names the background task results (django-tasks-db's
app and model) in the reader's language, like every other heading."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_tasks import task

pytestmark = pytest.mark.django_db


@task()
def nothing() -> None:
    """A task to queue, so the results list has a row."""


@pytest.mark.parametrize(
    ("language", "app", "model"),
    [
        ("en", "Background task results", "Task Results"),
        ("fr", "Résultats des tâches de fond", "Résultats de tâches"),
    ],
)
def test_it_names_the_task_results_in_the_readers_language(
    admin_user: User, language: str, app: str, model: str
) -> None:
    client = Client()
    client.force_login(admin_user)
    html = client.get(f"/{language}/admin/").content.decode()
    assert app in html
    assert f">{model}</a>" in html
    assert "Tasks Database Backend" not in html


def test_it_translates_the_task_results_columns_and_statuses(admin_user: User) -> None:
    nothing.enqueue()
    client = Client()
    client.force_login(admin_user)
    html = client.get("/fr/admin/django_tasks_database/dbtaskresult/").content.decode()
    assert "Mis en file le" in html
    assert "Nom de la file" in html
    assert "Prête" in html
    assert "Task Result" not in html
    assert "enqueued at" not in html
