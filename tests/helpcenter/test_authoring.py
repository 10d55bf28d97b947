"""Authoring: actions (slugs, translations, revisions, autosave, categories, images) and the settings pages."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from autonomia.actions import DomainError
from helpcenter import actions
from helpcenter.models import Article, ArticleRevision, PortalMember

pytestmark = pytest.mark.django_db


def png(name="a.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_slugs_are_unique_per_portal_and_locale(portal, admin):
    first = actions.create_article(portal, actor=admin, title="Trocas e devoluções")
    second = actions.create_article(portal, actor=admin, title="Trocas e devoluções")
    assert (first.slug, second.slug) == ("trocas-e-devolucoes", "trocas-e-devolucoes-2")
    english = actions.create_article(portal, actor=admin, title="Trocas e devoluções", locale="en")
    assert english.slug == "trocas-e-devolucoes"
    with pytest.raises(DomainError) as error:
        actions.update_article(second, actor=admin, slug="trocas-e-devolucoes")
    assert error.value.field == "slug" and "slug" in error.value.message
    with pytest.raises(DomainError):
        actions.create_article(portal, actor=admin, title="X", locale="fr")


def test_translation_links_locales_and_maps_the_category(portal, admin, article, category):
    english_category = actions.create_category(portal, actor=admin, name="Orders", locale="en",
                                               associated_category=category)
    english = actions.create_translation(article, actor=admin, locale="en")
    assert english.associated_article == article and english.category == english_category
    assert english.status == Article.Status.DRAFT
    with pytest.raises(DomainError):
        actions.create_translation(english, actor=admin, locale="pt-BR")


def test_revisions_diff_and_restore(portal, admin, article, admin_client, account):
    original = article.content
    actions.update_article(article, actor=admin, content="Texto novo")
    revision = article.revisions.filter(content=original).first()
    page = admin_client.get(f"/app/accounts/{account.pk}/settings/help-center/articles/{article.pk}/revisions/"
                            f"{revision.pk}/").content.decode()
    assert "+Texto novo" in page and "-Você tem **7 dias**" in page
    response = admin_client.post(f"/app/accounts/{account.pk}/settings/help-center/articles/{article.pk}/revisions/"
                                 f"{revision.pk}/restore/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.content == original
    assert article.revisions.filter(kind=ArticleRevision.Kind.RESTORE).count() == 1


def test_autosave_updates_drafts_but_not_published_articles(portal, admin, article):
    draft = actions.create_article(portal, actor=admin, title="Rascunho")
    actions.autosave_article(draft, actor=admin, title="Rascunho 2", description="", content="a")
    actions.autosave_article(draft, actor=admin, title="Rascunho 3", description="", content="ab")
    draft.refresh_from_db()
    assert (draft.title, draft.content) == ("Rascunho 3", "ab")
    assert draft.revisions.filter(kind=ArticleRevision.Kind.AUTOSAVE).count() == 1  # coalesced
    actions.autosave_article(article, actor=admin, title="Mudado", description="", content="novo")
    article.refresh_from_db()
    assert article.title == "Como pedir a devolução de um produto"
    assert article.revisions.filter(kind=ArticleRevision.Kind.AUTOSAVE, content="novo").exists()


def test_deleting_a_category_keeps_its_articles(portal, admin, category, article, admin_client, account):
    url = f"/app/accounts/{account.pk}/settings/help-center/{portal.pk}/categories/{category.pk}/delete/"
    assert admin_client.post(url).status_code == 302
    article.refresh_from_db()
    assert article.category is None and article.is_published


def test_images_must_be_real_raster_images(portal, admin, admin_client, account):
    url = f"/app/accounts/{account.pk}/settings/help-center/{portal.pk}/images/"
    ok = admin_client.post(url, {"file": png("foto.png")}).json()
    assert ok["markdown"].startswith("![foto.png](/hc/ajuda/images/")
    svg = SimpleUploadedFile("x.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                             content_type="image/svg+xml")
    refused = admin_client.post(url, {"file": svg})
    assert refused.status_code == 422 and "SVG" in refused.json()["error"]
    image_url = ok["url"]
    from django.test import Client

    served = Client().get(image_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


def test_settings_pages_render_and_save(admin_client, account, portal, category, article):
    base = f"/app/accounts/{account.pk}/settings/help-center"
    for url in (f"{base}/", f"{base}/{portal.pk}/", f"{base}/{portal.pk}/settings/", f"{base}/{portal.pk}/categories/",
                f"{base}/articles/{article.pk}/", f"{base}/{portal.pk}/analytics/", f"{base}/new/",
                f"{base}/articles/{article.pk}/revisions/"):
        assert admin_client.get(url).status_code == 200, url
    preview = admin_client.post(f"{base}/articles/{article.pk}/preview/", {"content": "## Oi\n<script>x</script>"})
    assert '<h2 id="h-oi">Oi</h2>' in preview.content.decode() and "<script>" not in preview.content.decode()
    saved = admin_client.post(f"{base}/articles/{article.pk}/", {
        "title": "Devolução em 7 dias", "content": "Novo texto", "description": "", "slug": article.slug,
        "category": category.pk, "status": Article.Status.PUBLISHED, "tags": "troca, reembolso"})
    assert saved.status_code == 302
    article.refresh_from_db()
    assert article.title == "Devolução em 7 dias" and article.meta["tags"] == "troca, reembolso"
    created = admin_client.post(f"{base}/new/", {"name": "Docs", "slug": "docs", "color": "#123456",
                                                 "default_locale": "pt-BR", "visibility": 0})
    assert created.status_code == 302


def test_reorder_by_drag_and_drop_endpoint(admin_client, account, portal, admin):
    a = actions.create_article(portal, actor=admin, title="A")
    b = actions.create_article(portal, actor=admin, title="B")
    response = admin_client.post(f"/app/accounts/{account.pk}/settings/help-center/{portal.pk}/articles/reorder/",
                                 {"ids": [b.pk, a.pk]})
    assert response.status_code == 204
    assert list(portal.articles.order_by("position").values_list("title", flat=True)) == ["B", "A"]


def test_agents_see_only_their_portals_and_cannot_manage_them(agent_client, agent, account, portal, article):
    base = f"/app/accounts/{account.pk}/settings/help-center"
    assert agent_client.get(f"{base}/articles/{article.pk}/").status_code == 404
    PortalMember.objects.create(portal=portal, user=agent)
    assert agent_client.get(f"{base}/articles/{article.pk}/").status_code == 200
    assert agent_client.get(f"{base}/{portal.pk}/settings/").status_code == 403
    assert agent_client.get(f"{base}/{portal.pk}/categories/").status_code == 403


def test_the_portal_settings_form_is_styled_and_in_portuguese(portal, admin_client, account):
    """The shared StyledForm: selects carry the product's class, and an optional choice reads "—", not
    Django's untranslated "- Select an option -"."""
    html = admin_client.get(f"/app/accounts/{account.pk}/settings/help-center/{portal.pk}/settings/").content.decode()
    assert 'class="select"' in html and 'name="inbox"' in html
    assert "Select an option" not in html and '<option value="" selected>—</option>' in html
