"""Help center fixtures: a public portal in pt-BR and English with a category and published articles."""

import pytest

from helpcenter import actions
from helpcenter.models import Article, Portal


@pytest.fixture(scope="session", autouse=True)
def _search_objects(django_db_setup, django_db_blocker):
    """The PostgreSQL search objects of migration 0002, also when the run skips migrations (--nomigrations)."""
    import importlib

    from django.db import connection

    migration = importlib.import_module("helpcenter.migrations.0002_search")
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        migration.forwards(None, editor)


def publish(portal, admin, title, content="", **fields):
    return actions.create_article(portal, actor=admin, title=title, content=content,
                                  status=Article.Status.PUBLISHED, **fields)


@pytest.fixture
def portal(account, admin):
    return actions.create_portal(account, actor=admin, name="Ajuda Loja", slug="ajuda", default_locale="pt-BR",
                                 locales=["en"], header_text="Como podemos ajudar?")


@pytest.fixture
def category(portal, admin):
    return actions.create_category(portal, actor=admin, name="Pedidos", locale="pt-BR",
                                   description="Compras, trocas e devoluções", icon="📦")


@pytest.fixture
def article(portal, admin, category):
    return publish(portal, admin, "Como pedir a devolução de um produto",
                   "## Prazo\nVocê tem **7 dias** para pedir a devolução.\n\n## Como pedir\nAbra o pedido e "
                   "clique em *Devolver*.", category=category, description="Prazo e passos da devolução")


@pytest.fixture
def private_portal(account, admin):
    portal = actions.create_portal(account, actor=admin, name="Interno", slug="interno",
                                   visibility=Portal.Visibility.SIGNED_IN)
    publish(portal, admin, "Segredo da devolução interna", "Procedimento interno de devolução.")
    return portal


@pytest.fixture
def password_portal(account, admin):
    portal = actions.create_portal(account, actor=admin, name="Parceiros", slug="parceiros",
                                   visibility=Portal.Visibility.PASSWORD, password="senha-dos-parceiros")
    publish(portal, admin, "Tabela de devolução para parceiros", "Condições especiais de devolução.")
    return portal
