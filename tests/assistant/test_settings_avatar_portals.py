"""The assistant's picture (uploaded in its settings, shown on its messages to agents and in the widget) and the
help centers it searches, chosen from the account's portals."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from automations.assistant import knowledge
from automations.assistant.models import AssistantConfig
from conversations import actions
from helpcenter import actions as helpcenter
from helpcenter.models import Article
from tests import factories
from tests.assistant.test_views import form_data, settings_url

pytestmark = pytest.mark.django_db


def image(fmt="PNG", size=(600, 400), name="alu.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 120)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture
def portals(account, admin, other_account):
    ajuda = helpcenter.create_portal(account, actor=admin, name="Ajuda", slug="ajuda-av", default_locale="pt-BR")
    vendas = helpcenter.create_portal(account, actor=admin, name="Vendas", slug="vendas-av", default_locale="pt-BR")
    for portal, title in ((ajuda, "Como emitir a segunda via do boleto"), (vendas, "Segunda via da nota fiscal")):
        helpcenter.create_article(portal, actor=admin, title=title, content=f"{title}: acesse a área do cliente.",
                                  status=Article.Status.PUBLISHED)
    foreign = helpcenter.create_portal(other_account, actor=None, name="Deles", slug="deles-av")
    return {"ajuda": ajuda, "vendas": vendas, "foreign": foreign}


def test_the_picture_is_uploaded_reencoded_and_shown(admin_client, inbox, teams, portals):
    response = admin_client.post(settings_url(inbox), {**form_data(), "avatar": image("JPEG", name="alu.jpg"),
                                                       "portal_ids": [portals["ajuda"].pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    config = AssistantConfig.objects.select_related("agent_bot").get(inbox=inbox)
    assert config.portal_ids == [portals["ajuda"].pk]
    bot = config.agent_bot
    with Image.open(bot.avatar.open("rb")) as stored:
        assert (stored.format, stored.size) == ("PNG", (256, 256))  # re-encoded square, metadata dropped
    url = reverse("assistant:bot-avatar", args=[inbox.account_id, bot.pk])
    page = admin_client.get(settings_url(inbox)).content.decode()
    assert f'<img src="{url}"' in page
    import re

    boxes = dict(re.findall(r'<input type="checkbox" name="portal_ids" value="(\d+)"[^>]*?( checked)?>', page))
    assert boxes == {str(portals["ajuda"].pk): " checked", str(portals["vendas"].pk): ""}, boxes
    assert "Deles" not in page  # other accounts' portals are not offered
    served = admin_client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"

    # Removing it keeps everything else.
    response = admin_client.post(settings_url(inbox), {**form_data(), "remove_avatar": "on",
                                                       "portal_ids": [portals["ajuda"].pk]})
    assert response.status_code == 302
    bot.refresh_from_db()
    assert not bot.avatar and admin_client.get(url).status_code == 404


@pytest.mark.parametrize("upload, error", [
    (SimpleUploadedFile("alu.png", b"not an image at all", content_type="image/png"), "Envie uma imagem válida"),
    (SimpleUploadedFile("alu.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/svg+xml"),
     "Envie uma imagem válida"),
    (None, "A imagem tem mais de 2 MB."),
])
def test_bad_pictures_are_form_errors(admin_client, inbox, teams, upload, error):
    if upload is None:  # a real image, too big: noise does not compress
        import os

        buffer = io.BytesIO()
        Image.frombytes("RGB", (1100, 1100), os.urandom(1100 * 1100 * 3)).save(buffer, format="BMP")
        upload = SimpleUploadedFile("big.bmp", buffer.getvalue(), content_type="image/bmp")
        assert upload.size > 2 * 1024 * 1024
    response = admin_client.post(settings_url(inbox), {**form_data(), "avatar": upload})
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not AssistantConfig.objects.filter(inbox=inbox).exists()


def test_a_portal_of_another_account_is_refused(admin_client, inbox, teams, portals):
    response = admin_client.post(settings_url(inbox), {**form_data(), "portal_ids": [portals["foreign"].pk]})
    assert response.status_code == 422
    assert "não é uma das escolhas disponíveis" in response.content.decode()
    assert not AssistantConfig.objects.filter(inbox=inbox).exists()


def test_only_the_chosen_help_centers_ground_the_answers(alu_inbox, portals):
    config = AssistantConfig.objects.get(inbox=alu_inbox)
    titles = {a["title"] for a in knowledge.search(config, "segunda via")}
    assert titles == {"Como emitir a segunda via do boleto", "Segunda via da nota fiscal"}  # none chosen: all
    config.portal_ids = [portals["vendas"].pk]
    assert [a["title"] for a in knowledge.search(config, "segunda via")] == ["Segunda via da nota fiscal"]


def test_the_picture_is_on_alus_messages_for_agents_and_visitors(admin_client, admin, inbox, teams, client,
                                                                 django_capture_on_commit_callbacks):
    from inboxes import widget_actions
    from inboxes.widget_payloads import messages_json

    site = widget_actions.create_web_widget_inbox(inbox.account, actor=None, name="Site", member_ids=[])
    admin_client.post(settings_url(site), {**form_data(debounce_seconds="0"), "avatar": image()})
    bot = AssistantConfig.objects.get(inbox=site).agent_bot
    with django_capture_on_commit_callbacks(execute=True):
        conversation = factories.make_conversation(site, messages=0)
    with django_capture_on_commit_callbacks(execute=True):
        actions.receive_message(conversation, sender=conversation.contact, content="Olá")
    reply = conversation.messages.filter(sender_type="AgentBot").first()
    assert reply is not None

    page = admin_client.get(reverse("conversations:detail", args=[inbox.account_id, conversation.display_id]))
    html = page.content.decode()
    bubble = html[html.rindex('<div class="msg', 0, html.index(f'id="message-{reply.pk}"')):]
    assert "msg-bot" in bubble[:200]
    assert f'<img src="{reverse("assistant:bot-avatar", args=[inbox.account_id, bot.pk])}"' in bubble

    [shown] = [m for m in messages_json([reply], conversation)]
    assert shown["sender"]["type"] == "agent_bot"
    assert shown["sender"]["avatar_url"] == f"/widget/bot-avatar/{bot.uid}"
    served = client.get(shown["sender"]["avatar_url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert client.get("/widget/bot-avatar/00000000-0000-0000-0000-000000000000").status_code == 404
