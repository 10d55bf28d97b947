"""Template sends with every kind of parameter, through the composer strip: header text or media (upload or
link), body, URL buttons' dynamic suffixes; validated in pt-BR; the Graph stand-in checks the components."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conversations.models import Attachment, Message
from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.models import MessageTemplate
from inboxes.providers.whatsapp.tasks import sync_templates_task
from tests.whatsapp.standins import PNG

pytestmark = pytest.mark.django_db

ORDER = {"name": "pedido_enviado", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY", "components": [
    {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}"},
    {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu para entrega."},
    {"type": "FOOTER", "text": "Loja Teste"},
    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Falar com atendente"},
                                    {"type": "URL", "text": "Rastrear", "url": "https://loja.com.br/r/{{1}}"}]}]}
RECEIPT = {"name": "nota_fiscal", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY", "components": [
    {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://example.com/x.png"]}},
    {"type": "BODY", "text": "Segue o comprovante, {{1}}."}]}
INVOICE = {"name": "boleto", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY", "components": [
    {"type": "HEADER", "format": "DOCUMENT"}, {"type": "BODY", "text": "Seu boleto chegou."}]}


@pytest.fixture
def templates(cloud_channel, cloud_standin):
    cloud_standin.templates = [ORDER, RECEIPT, INVOICE]
    sync_templates_task.apply(args=(cloud_channel.pk,)).get()
    return {t.name: t for t in MessageTemplate.objects.all()}


@pytest.fixture
def wa_conversation(cloud_channel):
    contact_inbox = actions.contact_inbox_for_phone(cloud_channel, "+5511999990000", name="Ana")
    actions.receive_whatsapp_message(cloud_channel, contact_inbox, source_id="wamid.IN1", content="oi")
    conversation = actions.conversation_for(contact_inbox)
    Message.objects.filter(conversation=conversation).update(created_at=timezone.now() - dt.timedelta(days=2))
    return conversation


def strip_url(conversation) -> str:
    return f"/app/accounts/{conversation.account_id}/conversations/{conversation.display_id}/whatsapp/"


def post_template(client, conversation, capture, data):
    with capture(execute=True):
        return client.post(strip_url(conversation) + "template/", data)


def sends(standin):
    return [r.json() for r in standin.calls("POST", "/messages")]


def test_strip_offers_inputs_for_header_body_and_url_button(agent_client, wa_conversation, templates):
    page = agent_client.get(strip_url(wa_conversation)).content.decode()
    order = templates["pedido_enviado"].pk
    for name in ("header_1", "param_1", "param_2", "button_1"):
        assert f'id="wa-t{order}-{name}"' in page
    assert "Parâmetro 1 do cabeçalho" in page and "Final do link de “Rastrear”" in page
    assert f'id="wa-t{templates["nota_fiscal"].pk}-header_file"' in page and 'type="file"' in page
    assert 'hx-encoding="multipart/form-data"' in page
    assert f'wa-t{order}-button_0' not in page  # the quick reply has nothing to fill


def test_header_body_and_url_button_parameters_are_sent(agent_client, wa_conversation, templates, cloud_standin,
                                                        django_capture_on_commit_callbacks):
    template = templates["pedido_enviado"]
    response = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks, {
        "template": template.pk, "header_1": "#42", "param_1": "Ana", "param_2": "#42", "button_1": "abc123"})
    assert response.status_code == 200
    [body] = sends(cloud_standin)
    assert body["type"] == "template" and body["template"]["language"] == {"code": "pt_BR", "policy": "deterministic"}
    assert body["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "#42"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#42"}]},
        {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "abc123"}]}]
    message = wa_conversation.messages.get(message_type=Message.MessageType.OUTGOING)
    assert message.content == ("**Pedido #42**\n\nOlá Ana, seu pedido #42 saiu para entrega.\n\n_Loja Teste_\n\n"
                               "Falar com atendente\n[Rastrear](https://loja.com.br/r/abc123)")
    assert message.source_id.startswith("wamid.OUT") and message.status == Message.Status.SENT
    assert message.additional_attributes["template_params"]["processed_params"] == {
        "body": {"1": "Ana", "2": "#42"}, "header": {"1": "#42"},
        "buttons": [{"type": "url", "index": 1, "parameter": "abc123"}]}


def test_missing_parameters_are_form_errors_in_portuguese(agent_client, wa_conversation, templates, cloud_standin,
                                                          django_capture_on_commit_callbacks):
    template = templates["pedido_enviado"]
    response = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks, {
        "template": template.pk, "header_1": "", "param_1": "Ana", "param_2": " ", "button_1": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("Este campo é obrigatório.") == 3
    assert 'value="Ana"' in page  # what the agent typed stays
    assert not sends(cloud_standin) and not wa_conversation.messages.filter(
        message_type=Message.MessageType.OUTGOING).exists()


def test_image_header_uploaded_goes_through_the_media_endpoint(agent_client, wa_conversation, templates,
                                                               cloud_standin, django_capture_on_commit_callbacks):
    template = templates["nota_fiscal"]
    response = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks, {
        "template": template.pk, "param_1": "Ana",
        "header_file": SimpleUploadedFile("comprovante.png", PNG, content_type="image/png")})
    assert response.status_code == 200
    upload = cloud_standin.calls("POST", "/media")[0]
    assert PNG in upload.body
    [body] = sends(cloud_standin)
    header = body["template"]["components"][0]
    assert header["type"] == "header" and header["parameters"][0]["type"] == "image"
    assert header["parameters"][0]["image"]["id"].startswith("upload-")
    message = wa_conversation.messages.get(message_type=Message.MessageType.OUTGOING)
    [attachment] = message.attachments.all()
    assert attachment.file_type == Attachment.FileType.IMAGE and attachment.file_name == "comprovante.png"
    assert message.content == "Segue o comprovante, Ana."


def test_media_header_by_link(agent_client, wa_conversation, templates, cloud_standin,
                              django_capture_on_commit_callbacks):
    response = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks, {
        "template": templates["boleto"].pk, "header_url": "https://loja.com.br/boletos/123.pdf"})
    assert response.status_code == 200
    [body] = sends(cloud_standin)
    assert body["template"]["components"] == [{"type": "header", "parameters": [
        {"type": "document", "document": {"link": "https://loja.com.br/boletos/123.pdf", "filename": "123.pdf"}}]}]
    [attachment] = wa_conversation.messages.get(message_type=Message.MessageType.OUTGOING).attachments.all()
    assert attachment.external_url == "https://loja.com.br/boletos/123.pdf" and not attachment.file


def test_media_header_is_required_and_must_match_the_format(agent_client, wa_conversation, templates,
                                                             cloud_standin, django_capture_on_commit_callbacks):
    template = templates["nota_fiscal"]
    missing = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks,
                            {"template": template.pk, "param_1": "Ana"})
    assert missing.status_code == 422
    assert "O cabeçalho do modelo precisa de uma imagem: envie uma ou informe o link." in missing.content.decode()
    wrong = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks, {
        "template": template.pk, "param_1": "Ana",
        "header_file": SimpleUploadedFile("nota.pdf", b"%PDF-1.4 test", content_type="application/pdf")})
    assert wrong.status_code == 422
    assert "A imagem do cabeçalho deve ser um arquivo JPEG ou PNG." in wrong.content.decode()
    both = post_template(agent_client, wa_conversation, django_capture_on_commit_callbacks, {
        "template": template.pk, "param_1": "Ana", "header_url": "https://loja.com.br/x.png",
        "header_file": SimpleUploadedFile("x.png", PNG, content_type="image/png")})
    assert both.status_code == 422 and "Envie um arquivo ou informe um link, não os dois." in both.content.decode()
    assert not sends(cloud_standin)


def test_action_refuses_missing_button_parameter(wa_conversation, templates, agent):
    from autonomia.actions import DomainError

    with pytest.raises(DomainError):
        actions.send_template(wa_conversation, actor=agent, template=templates["pedido_enviado"],
                              params=["Ana", "#42"], header_params=["#42"], button_params={})


def test_standin_rejects_a_wrong_shape_and_the_agent_sees_why(wa_conversation, templates, agent, cloud_standin,
                                                              django_capture_on_commit_callbacks):
    """A template changed at Meta after the last sync: the send fails with Meta's 132000, explained."""
    cloud_standin.templates = [{**ORDER, "components": [{"type": "BODY", "text": "Olá {{1}}"}]}]
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.send_template(wa_conversation, actor=agent, template=templates["pedido_enviado"],
                                        params=["Ana", "#42"], header_params=["#42"], button_params={1: "abc"})
    message.refresh_from_db()
    assert len(sends(cloud_standin)) == 1 and message.status == Message.Status.FAILED
    assert message.content_attributes["external_error"].startswith("132000: ")
