"""Contact search: what it matches, and the pg_trgm indexes that make it fast (contacts/migrations/0002)."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from autonomia.models import AccountUser
from contacts.models import Contact
from contacts.queries import search_contacts, search_q
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
INDEXES = {"contact_name_trgm", "contact_email_trgm", "contact_phone_number_trgm", "contact_identifier_trgm",
           "contact_activity_order"}


def test_search_matches_name_email_phone_with_or_without_plus_and_identifier(account, admin, other_account):
    member = AccountUser.objects.get(account=account, user=admin)
    ana = factories.make_contact(account, name="Ana Souza", email="ana@loja.com", phone_number="+5511987654321",
                                 identifier="5511987654321@s.whatsapp.net")
    bia = factories.make_contact(account, name="Beatriz", email="bia@exemplo.com")
    factories.make_contact(other_account, name="Ana de Outra Conta")

    def found(q):
        return sorted(c.pk for c in search_contacts(member, q))

    assert found("souza") == [ana.pk]
    assert found("ANA") == [ana.pk]  # case-insensitive, and never another account's contact
    assert found("exemplo.com") == [bia.pk]
    assert found("+5511987654321") == [ana.pk]
    assert found("5511987654321") == [ana.pk]  # Evolution API sends numbers without '+'
    assert found("@s.whatsapp") == [ana.pk]
    assert found("") == sorted([ana.pk, bia.pk])


def test_search_orders_by_latest_activity_never_active_last(account, admin):
    member = AccountUser.objects.get(account=account, user=admin)
    now = timezone.now()
    never = factories.make_contact(account, name="Silva Nunca")
    old = factories.make_contact(account, name="Silva Antigo", last_activity_at=now - dt.timedelta(days=3))
    new = factories.make_contact(account, name="Silva Recente", last_activity_at=now)
    assert [c.pk for c in search_contacts(member, "silva")] == [new.pk, old.pk, never.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm indexes exist only on PostgreSQL")
def test_trigram_indexes_exist_and_serve_the_search_expressions(account):
    """The indexes are on the very expressions icontains compares: with sequential scans off, the search
    plan reads the names through their trigram index (a mismatched expression would leave a Seq Scan)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'contacts_contact'")
        names = {name for (name,) in cursor.fetchall()}
    if not INDEXES <= names:
        pytest.skip("test database built without migrations (--nomigrations)")
    factories.make_contact(account, name="Silva", email="silva@x.com", identifier="silva-1")
    sql, params = Contact.objects.filter(search_q("silva")).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the only other way to answer it
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "contact_name_trgm" in plan and "Seq Scan" not in plan, plan
    # email, phone and identifier are NULL for some contacts: a scan of the partial unique index (the non-NULL
    # ones) may look cheaper to the planner than the trigram index
    for column, partial in (("email", "email"), ("phone_number", "phone"), ("identifier", "identifier")):
        assert f"contact_{column}_trgm" in plan or f"contact_{partial}_unique" in plan, plan


def test_the_embedded_sqlite_default_still_migrates(tmp_path):
    """The migration is PostgreSQL-only: without DATABASE_URL (SQLite) `migrate` must pass it by."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(AUTONOMIA_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="autonomia.settings")
    result = subprocess.run([sys.executable, "manage.py", "migrate", "contacts", "--noinput"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "contacts.0002_contact_search_trigram... OK" in result.stdout
    assert (tmp_path / "db.sqlite3").exists()
