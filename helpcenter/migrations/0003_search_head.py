"""`Article.search_head`: the title (A) and description and tags (B) part of the search vector, kept apart so
that search can pick its candidates without reading every matching article's full vector (helpcenter/search.py).

Existing articles are backfilled here with the same expression as `helpcenter.search.index_article`.
"""

from django.db import migrations

import helpcenter.models

# helpcenter.search.config_for, frozen: the configuration of the article's locale.
CONFIG_SQL = ("(CASE left(lower(locale), 2) WHEN 'pt' THEN 'hc_portuguese' WHEN 'en' THEN 'hc_english'"
              " WHEN 'es' THEN 'hc_spanish' ELSE 'hc_simple' END)::regconfig")


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"UPDATE helpcenter_article SET search_head = setweight(to_tsvector({CONFIG_SQL}, title), 'A')"
        f" || setweight(to_tsvector({CONFIG_SQL}, description || ' ' || coalesce(meta->>'tags', '')), 'B')")


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0002_search")]
    operations = [
        migrations.AddField("article", "search_head", helpcenter.models.TsVectorField(editable=False, null=True)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
