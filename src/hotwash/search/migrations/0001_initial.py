"""The search index: its rows (search_document), each database's words
beside them, and every existing incident, postmortem, action item and alert
group indexed, so an existing installation can search as soon as `migrate`
has run.

PostgreSQL: the `unaccent` extension (trusted since PostgreSQL 13: the
database's owner may create it; an operator whose user does not own the
database runs `CREATE EXTENSION unaccent;` as a superuser first), two
tsvector columns kept in the row, and their GIN indexes. SQLite: an FTS5
table per language.
"""

from django.db import migrations, models

from hotwash.search import index


def create_word_store(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        for column in ("vec_en", "vec_fr"):
            schema_editor.execute(
                f"ALTER TABLE search_document ADD COLUMN {column} tsvector NOT NULL DEFAULT ''"
            )
            # The vectors stay in the row (compressed), the text goes to the
            # TOAST table: finding the candidates of a common word walks the
            # newest rows testing their vectors (hotwash.search.engine), and
            # a vector out of line cost three more page reads a row (the walk
            # took 40 ms instead of 10 at 100,000 incidents). The text is
            # read only for the twenty results on the page.
            schema_editor.execute(
                f"ALTER TABLE search_document ALTER COLUMN {column} SET STORAGE MAIN"
            )
            schema_editor.execute(
                f"CREATE INDEX search_document_{column}_idx ON search_document USING gin ({column})"
            )
    else:
        # One table per language; the words are stemmed by
        # hotwash.search.text, unicode61 only splits them.
        for language in ("en", "fr"):
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE search_fts_{language} USING fts5("
                "title, body, tokenize = 'unicode61 remove_diacritics 2')"
            )


def drop_word_store(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        for language in ("en", "fr"):
            schema_editor.execute(f"DROP TABLE IF EXISTS search_fts_{language}")
    # PostgreSQL: the columns go with the table; the extension stays (other
    # databases' objects may use it).


def index_existing(apps, schema_editor):
    index.rebuild(
        index.Models(
            incident=apps.get_model("incidents", "Incident"),
            timeline=apps.get_model("incidents", "TimelineEvent"),
            postmortem=apps.get_model("postmortems", "Postmortem"),
            section=apps.get_model("postmortems", "Section"),
            action_item=apps.get_model("actions", "ActionItem"),
            alert_group=apps.get_model("alerts", "AlertGroup"),
        )
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("incidents", "0010_incident_types_links_merge"),
        ("postmortems", "0003_contributing_factors"),
        ("actions", "0002_action_item_translations"),
        ("alerts", "0002_kind_choices_from_the_registry"),
    ]

    operations = [
        migrations.CreateModel(
            name="Document",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("incident", "Incident"),
                            ("postmortem", "Postmortem"),
                            ("action_item", "Action item"),
                            ("alert_group", "Alert group"),
                        ],
                        max_length=16,
                    ),
                ),
                ("object_id", models.BigIntegerField()),
                ("incident_id", models.BigIntegerField(blank=True, null=True)),
                ("private", models.BooleanField(default=False)),
                ("incident_type", models.CharField(blank=True, default="", max_length=40)),
                ("occurred_at", models.DateTimeField()),
                ("ref", models.CharField(max_length=30)),
                ("title", models.CharField(max_length=200)),
                ("body", models.TextField(blank=True)),
            ],
            options={
                "db_table": "search_document",
                "indexes": [
                    models.Index(fields=["incident_id"], name="search_document_incident_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id"), name="search_document_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create_word_store, drop_word_store, elidable=False),
        migrations.RunPython(index_existing, migrations.RunPython.noop, elidable=False),
    ]
