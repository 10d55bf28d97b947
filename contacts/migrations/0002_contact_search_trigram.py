"""pg_trgm GIN indexes and an order index for the contact search (issue 2; bench/contact_search.py,
docs/benchmarks.md).

`GET contacts/search`, the inbox's search box (conversations.queries._search) and the contact filter's
`contains` use Django's icontains, `UPPER(column::text) LIKE UPPER('%q%')`, on the contact's name, email, phone
and identifier: without these indexes, a sequential scan of every contact. Each index is on that very
expression, so PostgreSQL answers a search of three characters or more with a bitmap scan of the matching rows.

PostgreSQL only: the extension (trusted since PostgreSQL 13, so the database owner may create it) and the
indexes, built CONCURRENTLY so a large production table keeps taking writes (hence atomic = False). The
embedded SQLite default skips both and keeps scanning (fine at its size). Database-only, no model state:
Django's AddIndexConcurrently(GinIndex(OpClass(Upper(...)))) renders valid SQL only with
django.contrib.postgres installed, and a GinIndex in Contact.Meta would break SQLite's table creation.
"""

from django.db import migrations

SEARCHED_COLUMNS = ("name", "email", "phone_number", "identifier")
# The contact list's and the search's order (latest activity first, never-active contacts last): with it a
# search for a common word walks the account's contacts in page order and stops after one page of matches,
# instead of sorting every match; the default GET contacts page becomes an index scan too.
ORDER_INDEX = ("contact_activity_order", "(account_id, last_activity_at DESC NULLS LAST, id DESC)")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS contact_{column}_trgm "
                              f"ON contacts_contact USING gin (UPPER({column}) gin_trgm_ops)")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ORDER_INDEX[0]} ON contacts_contact "
                          f"{ORDER_INDEX[1]}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # the extension stays: other apps' indexes use it
        for column in SEARCHED_COLUMNS:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS contact_{column}_trgm")
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {ORDER_INDEX[0]}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("contacts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
