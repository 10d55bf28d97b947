"""Covering indexes for the conversation list (bench/conversation_list.py, docs/benchmarks.md).

Keyed like the list's sort (last activity, then id, newest first) within an account, with and without a
status, and carrying the columns the list's filters and counts read (inbox, assignee, team, status). The page
of ids, the mine / unassigned / all counts and the per-inbox and per-team folder counts then become
index-only scans instead of sorting or reading every conversation of the account.

Database-only (RunPython, no model state): INCLUDE is PostgreSQL syntax. PostgreSQL builds them
CONCURRENTLY so a large production table keeps taking writes; other databases get the plain key.
"""

from django.db import migrations

INDEXES = {
    "conv_list_status": ("(account_id, status, last_activity_at DESC, id DESC)",
                         "(inbox_id, assignee_id, team_id)"),
    "conv_list_activity": ("(account_id, last_activity_at DESC, id DESC)",
                           "(status, inbox_id, assignee_id, team_id)"),
}


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (key, include) in INDEXES.items():
        if postgres:
            schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
                                  f"ON conversations_conversation {key} INCLUDE {include}")
        else:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON conversations_conversation {key}")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("conversations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
