"""Canned responses settings: list with search, create, edit, delete."""

import pytest
from django.urls import reverse

from autonomia.models import User
from automations.models import CannedResponse


@pytest.fixture(autouse=True)
def english(admin, agent):
    """The assertions read the English interface (the product's default language is pt-BR)."""
    User.objects.filter(pk__in=[admin.pk, agent.pk]).update(locale="en")


def url(name, account, **kwargs):
    return reverse(f"automations:{name}", kwargs={"account_id": account.pk, **kwargs})


@pytest.fixture
def greeting(account):
    return CannedResponse.objects.create(account=account, short_code="saudacao",
                                         content="Olá {{contact.name}}, como posso ajudar?")


@pytest.fixture
def payment(account):
    return CannedResponse.objects.create(account=account, short_code="pix", content="Aceitamos Pix e boleto.")


@pytest.mark.parametrize("method", ["get", "post"])
def test_agent_gets_403(agent_client, account, greeting, method):
    for page in (url("canned", account), url("canned-new", account), url("canned-edit", account, canned_id=greeting.pk),
                 url("canned-delete", account, canned_id=greeting.pk)):
        assert getattr(agent_client, method)(page).status_code == 403, page
    assert CannedResponse.objects.filter(pk=greeting.pk).exists()


def test_list_shows_the_canned_responses(admin_client, account, greeting, payment):
    response = admin_client.get(url("canned", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "/saudacao" in html and "Olá {{contact.name}}, como posso ajudar?" in html
    assert "/pix" in html and html.index("/pix") < html.index("/saudacao")
    assert 'name="q"' in html and url("canned-new", account) in html
    assert url("canned-edit", account, canned_id=greeting.pk) in html


def test_list_empty_state(admin_client, account):
    html = admin_client.get(url("canned", account)).content.decode()
    assert "No canned responses yet" in html and url("canned-new", account) in html
    assert 'name="q"' not in html


def test_search_filters_by_short_code_and_content(admin_client, account, greeting, payment):
    html = admin_client.get(url("canned", account), {"q": "boleto"}).content.decode()
    assert "/pix" in html and "/saudacao" not in html and 'value="boleto"' in html
    html = admin_client.get(url("canned", account), {"q": "SAUD"}).content.decode()
    assert "/saudacao" in html and "/pix" not in html


def test_search_without_results_says_so(admin_client, account, greeting):
    html = admin_client.get(url("canned", account), {"q": "<b>nada</b>"}).content.decode()
    assert "No canned responses match “&lt;b&gt;nada&lt;/b&gt;”" in html and "<b>nada</b>" not in html
    assert url("canned", account) in html


def test_new_page_renders(admin_client, account):
    response = admin_client.get(url("canned-new", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="short_code"' in html and 'name="content"' in html and "Create canned response" in html


def test_create_saves_and_redirects(admin_client, account):
    response = admin_client.post(url("canned-new", account), {"short_code": "horario",
                                                              "content": "Atendemos das 9h às 18h."})
    assert response.status_code == 302 and response["Location"] == url("canned", account)
    canned = CannedResponse.objects.get(account=account)
    assert (canned.short_code, canned.content) == ("horario", "Atendemos das 9h às 18h.")
    assert "Canned response “horario” saved." in admin_client.get(url("canned", account)).content.decode()


def test_create_with_errors_returns_422_and_keeps_the_input(admin_client, account):
    response = admin_client.post(url("canned-new", account), {"short_code": "com espaço",
                                                              "content": "Texto digitado"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Use only letters, digits" in html and 'value="com espaço"' in html and "Texto digitado" in html
    assert not CannedResponse.objects.exists()


def test_create_without_content_is_a_field_error(admin_client, account):
    response = admin_client.post(url("canned-new", account), {"short_code": "vazio", "content": ""})
    html = response.content.decode()
    assert response.status_code == 422 and "This field is required." in html and 'value="vazio"' in html


def test_duplicate_short_code_is_an_error(admin_client, account, greeting):
    response = admin_client.post(url("canned-new", account), {"short_code": "saudacao", "content": "Oi"})
    assert response.status_code == 422
    assert "Another canned response already uses this short code." in response.content.decode()


def test_edit_saves(admin_client, account, greeting):
    page = admin_client.get(url("canned-edit", account, canned_id=greeting.pk))
    assert page.status_code == 200 and 'value="saudacao"' in page.content.decode()
    response = admin_client.post(url("canned-edit", account, canned_id=greeting.pk),
                                 {"short_code": "oi", "content": "Oi, {{contact.name}}!"})
    assert response.status_code == 302
    greeting.refresh_from_db()
    assert (greeting.short_code, greeting.content) == ("oi", "Oi, {{contact.name}}!")


def test_delete_asks_then_deletes(admin_client, account, greeting):
    page = admin_client.get(url("canned-delete", account, canned_id=greeting.pk))
    assert page.status_code == 200 and "Delete the canned response “saudacao”?" in page.content.decode()
    response = admin_client.post(url("canned-delete", account, canned_id=greeting.pk))
    assert response.status_code == 302 and not CannedResponse.objects.filter(pk=greeting.pk).exists()
