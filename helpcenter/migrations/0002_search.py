"""PostgreSQL search objects: unaccent + pg_trgm, accent-insensitive text search configurations, indexes.

`hc_portuguese`, `hc_english`, `hc_spanish` and `hc_simple` copy the built-in configurations and run
`unaccent` before stemming, so 'devolução', 'devolucao' and 'devoluçao' index and query to the same lexeme.
On SQLite (the embedded default) nothing is created: search falls back to icontains there.
"""

from django.db import migrations

CONFIGS = {"hc_portuguese": "portuguese", "hc_english": "english", "hc_spanish": "spanish", "hc_simple": "simple"}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("CREATE EXTENSION IF NOT EXISTS unaccent")
    run("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # unaccent() is only STABLE; this wrapper pins the dictionary so it may be used in index expressions.
    run("CREATE OR REPLACE FUNCTION hc_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$")
    for name, base in CONFIGS.items():
        run(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        run(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base})")
        stem = "simple" if base == "simple" else f"{base}_stem"
        run(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word "
            f"WITH public.unaccent, {stem}")
    run("CREATE INDEX IF NOT EXISTS hc_article_search ON helpcenter_article USING gin (search_vector)")
    run("CREATE INDEX IF NOT EXISTS hc_word_trgm ON helpcenter_helpword USING gin (word gin_trgm_ops)")
    run("CREATE INDEX IF NOT EXISTS hc_article_title_trgm ON helpcenter_article "
        "USING gin (hc_unaccent(lower(title)) gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in ("DROP INDEX IF EXISTS hc_article_title_trgm", "DROP INDEX IF EXISTS hc_word_trgm",
                "DROP INDEX IF EXISTS hc_article_search", *[f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {n}"
                                                            for n in CONFIGS], "DROP FUNCTION IF EXISTS hc_unaccent(text)"):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
