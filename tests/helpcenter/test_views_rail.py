"""The agent app's left rail marks the section a page belongs to: the help center's authoring pages live under
Settings (its sub-menu), so the Settings icon is the active one there, not Conversations."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def active_rail_items(response) -> list[str]:
    """The titles (pt-BR) of the rail links marked active and aria-current."""
    assert response.status_code == 200
    rail = re.search(r'<nav class="rail".*?</nav>', response.content.decode(), re.DOTALL).group(0)
    items = re.findall(r'<a class="rail-item( active)?"[^>]*title="([^"]+)"[^>]*?( aria-current="page")?>', rail)
    active = [title for is_active, title, current in items if is_active]
    assert active == [title for _, title, current in items if current]  # same items, for screen readers too
    return active


def test_settings_icon_is_active_on_every_help_center_authoring_page(admin_client, account, admin, portal, category,
                                                                      article):
    kw = {"account_id": account.pk}
    urls = [reverse("helpcenter:portals", kwargs=kw), reverse("helpcenter:portal-new", kwargs=kw),
            reverse("helpcenter:articles", kwargs={**kw, "portal_id": portal.pk}),
            reverse("helpcenter:portal-edit", kwargs={**kw, "portal_id": portal.pk}),
            reverse("helpcenter:article-new", kwargs={**kw, "portal_id": portal.pk}),
            reverse("helpcenter:analytics", kwargs={**kw, "portal_id": portal.pk}),
            reverse("helpcenter:categories", kwargs={**kw, "portal_id": portal.pk}),
            reverse("helpcenter:category-edit", kwargs={**kw, "portal_id": portal.pk, "category_id": category.pk}),
            reverse("helpcenter:article-edit", kwargs={**kw, "article_id": article.pk}),
            reverse("helpcenter:revisions", kwargs={**kw, "article_id": article.pk})]
    for url in urls:
        assert active_rail_items(admin_client.get(url)) == ["Configurações"], url


def test_agents_see_the_same_on_the_help_center(agent_client, account, portal):
    response = agent_client.get(reverse("helpcenter:portals", kwargs={"account_id": account.pk}))
    assert active_rail_items(response) == ["Configurações"]


def test_other_sections_keep_their_icon(admin_client, account):
    kw = {"account_id": account.pk}
    assert active_rail_items(admin_client.get(reverse("conversations:inbox", kwargs=kw))) == ["Conversas"]
    assert active_rail_items(admin_client.get(reverse("conversations:labels-settings", kwargs=kw))) == ["Configurações"]
    assert active_rail_items(admin_client.get(reverse("webhooks:list", kwargs=kw))) == ["Configurações"]
    assert active_rail_items(admin_client.get(reverse("settings:profile", kwargs=kw))) == ["Configurações"]
