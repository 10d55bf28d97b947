"""A trigram index on message text for the API's conversation search (conversations.queries.api_search_q).

Django's `icontains` is `UPPER(content) LIKE UPPER('%q%')` on PostgreSQL, so the index is a GIN over
UPPER(content) with pg_trgm's operator class: a search of 3+ characters reads the index instead of every
message of the account (docs/benchmarks.md). Built CONCURRENTLY because the message table is the largest one;
the embedded SQLite default has no pg_trgm and keeps scanning (fine at its size), so nothing is created there.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS message_content_trgm "
                          "ON conversations_message USING gin (UPPER(content) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # the extension stays: other indexes may use it
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS message_content_trgm")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("conversations", "0002_conversation_list_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
