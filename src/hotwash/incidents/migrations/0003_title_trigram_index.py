"""On PostgreSQL, a trigram index for "text in title" searches.

Django's icontains becomes UPPER(title) LIKE UPPER('%text%'), which no
B-tree index can serve; at 100,000 incidents the list's text search read
the whole table. pg_trgm is a trusted extension (PostgreSQL 13+), so the
database owner can create it. SQLite has no equivalent and scans, which it
does quickly at that size.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS incident_title_trgm_idx ON incidents_incident "
        "USING gin (UPPER(title::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS incident_title_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_incident_updated_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
