"""conv_list_status also carries updated_at, so the sidebar's folder query can fingerprint the open conversations
(conversations.queries.folder_counts keys its cached label counts on it) without leaving the index.

Same key as before; PostgreSQL builds the new index CONCURRENTLY, drops the old one and takes over its name.
Other databases keep 0002's plain index (no INCLUDE there).
"""

from django.db import migrations

KEY = "(account_id, status, last_activity_at DESC, id DESC)"


def _swap(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS conv_list_status_next")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY conv_list_status_next ON conversations_conversation {KEY} "
                          f"INCLUDE {include}")
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS conv_list_status")
    schema_editor.execute("ALTER INDEX conv_list_status_next RENAME TO conv_list_status")


def forwards(apps, schema_editor):
    _swap(schema_editor, "(inbox_id, assignee_id, team_id, updated_at)")


def backwards(apps, schema_editor):
    _swap(schema_editor, "(inbox_id, assignee_id, team_id)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("conversations", "0003_message_content_trgm"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
