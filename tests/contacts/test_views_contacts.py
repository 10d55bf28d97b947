"""The contact panel's edit form and labels."""

import pytest
from django.urls import reverse

from conversations.models import Label
from tests import factories

HX = {"HX-Request": "true"}


def edit_url(contact):
    return reverse("contacts:edit", kwargs={"account_id": contact.account_id, "contact_id": contact.pk})


def labels_url(contact):
    return reverse("contacts:labels", kwargs={"account_id": contact.account_id, "contact_id": contact.pk})


def test_get_returns_the_edit_form(agent_client, contact):
    response = agent_client.get(edit_url(contact), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<form class="panel-section contact-form" id="contact-details"' in html
    assert 'value="carla@cliente.com"' in html and 'value="+5511912345678"' in html


def test_cancel_shows_the_details_again(agent_client, contact):
    html = agent_client.get(edit_url(contact) + "?view=1", headers=HX).content.decode()
    assert '<section class="panel-section contact-details" id="contact-details">' in html


def test_post_saves_and_returns_the_details(agent_client, contact):
    contact.additional_attributes = {"country": "BR"}
    contact.save()
    response = agent_client.post(edit_url(contact), {
        "name": "Carla Nova", "email": "NOVA@cliente.com", "phone_number": "+55 (11) 98888-7777",
        "company_name": "Padaria", "city": "Campinas"}, headers=HX)
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.name == "Carla Nova" and contact.email == "nova@cliente.com"
    assert contact.phone_number == "+5511988887777"
    assert contact.additional_attributes == {"country": "BR", "company_name": "Padaria", "city": "Campinas"}
    html = response.content.decode()
    assert 'id="contact-details"' in html and "Campinas" in html and "<form" not in html


def test_bad_phone_is_422_with_the_form(agent_client, contact):
    response = agent_client.post(edit_url(contact), {"name": "Carla", "phone_number": "+0 11"}, headers=HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "formato internacional" in html and 'value="+0 11"' in html
    contact.refresh_from_db()
    assert contact.phone_number == "+5511912345678"


def test_duplicate_email_is_422(agent_client, account, contact):
    factories.make_contact(account, name="Outra", email="outra@cliente.com")
    response = agent_client.post(edit_url(contact), {"name": "Carla", "email": "outra@cliente.com"}, headers=HX)
    assert response.status_code == 422 and "Outro contato já usa este e-mail" in response.content.decode()


def test_invalid_email_is_422(agent_client, contact):
    response = agent_client.post(edit_url(contact), {"name": "Carla", "email": "não-é-email"}, headers=HX)
    assert response.status_code == 422


def test_labels_are_replaced(agent_client, account, contact):
    Label.objects.create(account=account, title="vip", color="#ff0000")
    Label.objects.create(account=account, title="atacado")
    response = agent_client.post(labels_url(contact), {"labels": ["vip", "atacado"]}, headers=HX)
    assert response.status_code == 200
    assert sorted(contact.label_rows.values_list("title", flat=True)) == ["atacado", "vip"]
    assert 'id="contact-labels"' in response.content.decode() and "--label: #ff0000" in response.content.decode()
    agent_client.post(labels_url(contact), {"labels": ["vip"]}, headers=HX)
    assert list(contact.label_rows.values_list("title", flat=True)) == ["vip"]


def test_unknown_label_is_422(agent_client, contact):
    response = agent_client.post(labels_url(contact), {"labels": ["inventado"]}, headers=HX)
    assert response.status_code == 422 and not contact.label_rows.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404(outsider_client, contact, method):
    assert getattr(outsider_client, method)(edit_url(contact), {"name": "x"}).status_code == 404
    assert outsider_client.post(labels_url(contact), {"labels": []}).status_code == 404
    contact.refresh_from_db()
    assert contact.name == "Carla Cliente"
