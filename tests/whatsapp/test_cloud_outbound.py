"""Cloud API outbound through Celery (eager) against the Graph stand-in: text, media, replies, retries, errors,
the 24-hour window and templates."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from conversations import actions as conversation_actions
from conversations.models import Attachment, Message
from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.models import MessageTemplate
from tests.whatsapp.standins import PNG, graph_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def wa_conversation(cloud_channel):
    contact_inbox = actions.contact_inbox_for_phone(cloud_channel, "+5511999990000", name="Ana")
    actions.receive_whatsapp_message(cloud_channel, contact_inbox, source_id="wamid.IN1", content="oi")
    return actions.conversation_for(contact_inbox)


def reply(conversation, agent, capture, **kwargs):
    with capture(execute=True):
        message = conversation_actions.send_reply(conversation, actor=agent, **kwargs)
    message.refresh_from_db()
    return message


def sends(standin):
    return [r.json() for r in standin.calls("POST", "/messages")]


def test_text_reply_is_sent_as_whatsapp_markup(wa_conversation, agent, cloud_standin,
                                               django_capture_on_commit_callbacks):
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks,
                    content="**Oi** Ana, veja *isto* e ~~aquilo~~ em [site](https://loja.com.br)")
    [body] = sends(cloud_standin)
    assert body["to"] == "5511999990000" and body["type"] == "text"
    assert body["text"]["body"] == "*Oi* Ana, veja _isto_ e ~aquilo~ em site (https://loja.com.br)"
    assert cloud_standin.calls("POST")[0].headers["authorization"].startswith("Bearer ")
    assert message.source_id.startswith("wamid.OUT") and message.status == Message.Status.SENT


def test_private_note_is_not_sent(wa_conversation, agent, cloud_standin, django_capture_on_commit_callbacks):
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="nota", private=True)
    assert message.source_id is None and not sends(cloud_standin)


def test_media_with_caption_and_reply_context(wa_conversation, agent, cloud_standin,
                                              django_capture_on_commit_callbacks):
    original = wa_conversation.messages.get(source_id="wamid.IN1")
    attachment = {"file_type": Attachment.FileType.IMAGE, "file": ContentFile(PNG, name="foto.png"),
                  "file_name": "foto.png", "content_type": "image/png", "file_size": len(PNG)}
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="segue a foto",
                    attachments=[attachment], content_attributes={"in_reply_to": original.pk})
    upload = cloud_standin.calls("POST", "/media")[0]
    assert b"foto.png" in upload.body and PNG in upload.body
    [body] = sends(cloud_standin)
    assert body["type"] == "image" and body["image"]["caption"] == "segue a foto"
    assert body["image"]["id"].startswith("upload-")
    assert body["context"] == {"message_id": "wamid.IN1"}
    assert message.source_id.startswith("wamid.OUT")


def test_rate_limit_and_5xx_are_retried(wa_conversation, agent, cloud_standin, django_capture_on_commit_callbacks):
    cloud_standin.fail_next("send", *graph_error(130429, "Rate limit hit"))
    cloud_standin.fail_next("send", 429, {"error": {"message": "Too many", "code": 4}})
    cloud_standin.fail_next("send", 503, {"error": {"message": "Service unavailable", "code": 2}})
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="oi")
    assert len(sends(cloud_standin)) == 4
    assert message.source_id.startswith("wamid.OUT") and message.status == Message.Status.SENT


def test_giving_up_after_retries_marks_failed(wa_conversation, agent, cloud_standin,
                                              django_capture_on_commit_callbacks):
    cloud_standin.fail_next("send", *graph_error(131056, "pair rate limit"), times=10)
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="oi")
    assert len(sends(cloud_standin)) == 7  # the first try and six retries
    assert message.status == Message.Status.FAILED
    assert message.content_attributes["external_error"].startswith("131056: ")


def test_window_closed_error_is_not_retried(wa_conversation, agent, cloud_standin,
                                            django_capture_on_commit_callbacks):
    cloud_standin.fail_next("send", *graph_error(131047, "Re-engagement message"))
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="oi")
    assert len(sends(cloud_standin)) == 1
    assert message.status == Message.Status.FAILED
    assert message.content_attributes["external_error"].startswith("131047: ")


def test_expired_token_flags_the_channel(wa_conversation, agent, cloud_standin, cloud_channel,
                                         django_capture_on_commit_callbacks):
    cloud_standin.fail_next("send", *graph_error(190, "Error validating access token", status=401))
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="oi")
    assert len(sends(cloud_standin)) == 1 and message.status == Message.Status.FAILED
    assert "190: " in message.content_attributes["external_error"]
    cloud_channel.refresh_from_db()
    assert cloud_channel.reauthorization_required


def test_closed_window_allows_only_templates(wa_conversation, agent, cloud_standin, cloud_channel,
                                             django_capture_on_commit_callbacks):
    Message.objects.filter(conversation=wa_conversation).update(
        created_at=timezone.now() - dt.timedelta(hours=25))
    message = reply(wa_conversation, agent, django_capture_on_commit_callbacks, content="oi de novo")
    assert message.status == Message.Status.FAILED and not sends(cloud_standin)
    assert message.content_attributes["external_error"].startswith("131047: ")
    template = MessageTemplate.objects.create(
        channel=cloud_channel, name="pedido_pronto", language="pt_BR", status="APPROVED", category="UTILITY",
        components=[{"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} está pronto."}])
    with django_capture_on_commit_callbacks(execute=True):
        sent = actions.send_template(wa_conversation, actor=agent, template=template, params=["Ana", "#42"])
    sent.refresh_from_db()
    assert sent.content == "Olá Ana, seu pedido #42 está pronto."
    [body] = sends(cloud_standin)
    assert body["type"] == "template"
    assert body["template"]["name"] == "pedido_pronto"
    assert body["template"]["language"] == {"code": "pt_BR", "policy": "deterministic"}
    assert body["template"]["components"] == [{"type": "body", "parameters": [
        {"type": "text", "text": "Ana"}, {"type": "text", "text": "#42"}]}]
    assert sent.source_id.startswith("wamid.OUT")


def test_template_needs_every_parameter(wa_conversation, agent, cloud_channel):
    from autonomia.actions import DomainError

    template = MessageTemplate.objects.create(channel=cloud_channel, name="t", language="pt_BR", status="APPROVED",
                                              components=[{"type": "BODY", "text": "Oi {{1}}"}])
    with pytest.raises(DomainError):
        actions.send_template(wa_conversation, actor=agent, template=template, params=[""])


def test_templates_sync_follows_paging(cloud_channel, cloud_standin):
    from inboxes.providers.whatsapp.tasks import sync_templates_task

    cloud_standin.templates = [{"name": f"t{i}", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY",
                                "id": str(i), "components": [{"type": "BODY", "text": "Oi {{1}}"}]}
                               for i in range(5)]
    assert sync_templates_task.apply(args=(cloud_channel.pk,)).get() == 5
    assert len(cloud_standin.calls("GET", "/message_templates")) == 3
    assert set(MessageTemplate.objects.values_list("name", flat=True)) == {f"t{i}" for i in range(5)}
    cloud_standin.templates = cloud_standin.templates[:1]
    assert sync_templates_task.apply(args=(cloud_channel.pk,)).get() == 1
    assert MessageTemplate.objects.count() == 1
