"""Label settings: list, create with the colour picker, edit (renames re-tag), delete."""

import pytest
from django.urls import reverse

from autonomia.models import User
from conversations.label_forms import PRESET_COLOURS
from conversations.models import ConversationLabel, Label


@pytest.fixture(autouse=True)
def english(admin, agent):
    """The assertions read the English interface (the product's default language is pt-BR)."""
    User.objects.filter(pk__in=[admin.pk, agent.pk]).update(locale="en")


def url(name, account, **kwargs):
    return reverse(f"conversations:{name}", kwargs={"account_id": account.pk, **kwargs})


@pytest.fixture
def bug(account):
    return Label.objects.create(account=account, title="bug", color="#ff382d", description="Algo quebrou")


@pytest.mark.parametrize("method", ["get", "post"])
def test_agent_gets_403(agent_client, account, bug, method):
    for page in (url("labels-settings", account), url("label-new", account),
                 url("label-edit", account, label_id=bug.pk), url("label-delete", account, label_id=bug.pk)):
        assert getattr(agent_client, method)(page).status_code == 403, page
    assert Label.objects.filter(pk=bug.pk).exists()


def test_list_shows_labels_with_their_colour(admin_client, account, bug):
    Label.objects.create(account=account, title="vip", color="#a855f7", show_on_sidebar=False)
    response = admin_client.get(url("labels-settings", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'style="--label: #ff382d"' in html and ">bug<" in html and "Algo quebrou" in html
    assert ">vip<" in html and "Hidden" in html and "Shown" in html
    assert url("label-edit", account, label_id=bug.pk) in html and url("label-new", account) in html


def test_list_empty_state(admin_client, account):
    html = admin_client.get(url("labels-settings", account)).content.decode()
    assert "No labels yet" in html and url("label-new", account) in html


def test_new_label_page_offers_the_preset_colours(admin_client, account):
    response = admin_client.get(url("label-new", account))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="color"' in html and 'list="label-colours"' in html and '<datalist id="label-colours">' in html
    for colour in PRESET_COLOURS:
        assert f'data-colour="{colour}"' in html
    assert 'value="#1f93ff"' in html and "swatch is-selected" in html and "data-label-preview" in html


def test_create_label_saves_and_redirects(admin_client, account):
    response = admin_client.post(url("label-new", account), {
        "title": " Novo-Cliente ", "color": "#44CE4B", "description": "Primeira compra", "show_on_sidebar": "on"})
    assert response.status_code == 302 and response["Location"] == url("labels-settings", account)
    label = Label.objects.get(account=account)
    assert (label.title, label.color, label.description, label.show_on_sidebar) == (
        "novo-cliente", "#44ce4b", "Primeira compra", True)
    assert "Label “novo-cliente” saved." in admin_client.get(url("labels-settings", account)).content.decode()


def test_create_label_with_errors_returns_422_and_keeps_the_input(admin_client, account):
    response = admin_client.post(url("label-new", account), {"title": "digitado", "color": "azul",
                                                             "description": "Descrição digitada"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Pick a colour." in html and 'value="digitado"' in html and "Descrição digitada" in html
    assert "--label: azul" not in html
    assert not Label.objects.exists()


def test_label_title_with_spaces_is_refused(admin_client, account):
    response = admin_client.post(url("label-new", account), {"title": "dois nomes", "color": "#1f93ff"})
    html = response.content.decode()
    assert response.status_code == 422 and "Use only letters, digits" in html and 'value="dois nomes"' in html


def test_duplicate_label_is_an_error(admin_client, account, bug):
    response = admin_client.post(url("label-new", account), {"title": "BUG", "color": "#1f93ff"})
    assert response.status_code == 422
    assert "A label with this name already exists." in response.content.decode()


def test_edit_label_renames_and_retags(admin_client, account, bug, conversation):
    ConversationLabel.objects.create(conversation=conversation, title="bug")
    page = admin_client.get(url("label-edit", account, label_id=bug.pk))
    html = page.content.decode()
    assert page.status_code == 200 and 'value="bug"' in html and 'value="#ff382d"' in html
    assert 'data-colour="#ff382d" aria-label="#ff382d" aria-pressed="true"' in html
    response = admin_client.post(url("label-edit", account, label_id=bug.pk),
                                 {"title": "defeito", "color": "#ff8a00", "description": ""})
    assert response.status_code == 302
    bug.refresh_from_db()
    assert (bug.title, bug.color, bug.show_on_sidebar) == ("defeito", "#ff8a00", False)
    assert list(ConversationLabel.objects.values_list("title", flat=True)) == ["defeito"]


def test_delete_label_tells_how_many_conversations_use_it(admin_client, account, bug, conversation):
    ConversationLabel.objects.create(conversation=conversation, title="bug")
    page = admin_client.get(url("label-delete", account, label_id=bug.pk))
    html = page.content.decode()
    assert page.status_code == 200 and "Delete the label “bug”?" in html and "1 conversation keeps the tag" in html
    response = admin_client.post(url("label-delete", account, label_id=bug.pk))
    assert response.status_code == 302 and not Label.objects.filter(pk=bug.pk).exists()
