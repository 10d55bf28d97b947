"""Outgoing sends that must go out exactly once: the sweeper for messages whose task was never queued (broker
down), claims against duplicate tasks, and the crash window between the provider accepting a send and its id
being stored (the message becomes uncertain and the agent decides)."""

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
import requests
from django.conf import settings as django_settings
from django.utils import timezone

from autonomia.queries import api_token_for
from conversations.models import Message
from inboxes.providers.whatsapp import actions
from inboxes.providers.whatsapp.models import OutgoingSend
from inboxes.providers.whatsapp.tasks import send_message_task, sweep_whatsapp_outgoing_task
from tests.conftest import ROOT, start_asgi_server, stop_server

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]
UNCERTAIN_PT = "A conexão com o WhatsApp caiu durante o envio"


@pytest.fixture
def wa_conversation(cloud_channel):
    contact_inbox = actions.contact_inbox_for_phone(cloud_channel, "+5511999990000", name="Ana")
    actions.receive_whatsapp_message(cloud_channel, contact_inbox, source_id="wamid.IN1", content="oi")
    return actions.conversation_for(contact_inbox)


def outgoing(conversation, agent, content="olá") -> Message:
    """A stored reply whose send was never queued (as when the process died right after the commit)."""
    return conversation.messages.create(account_id=conversation.account_id, inbox_id=conversation.inbox_id,
                                        message_type=Message.MessageType.OUTGOING, content=content,
                                        sender_type="User", sender_id=agent.pk, created_at=timezone.now())


def age(message: Message, minutes: int = 2) -> None:
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes))


def sends(standin):
    return [r.json() for r in standin.calls("POST", "/messages")]


@pytest.fixture
def server_without_broker(cloud_standin):
    """The web process with Redis (broker, cache, channel layer) down: sends cannot be queued."""
    server = start_asgi_server({"WHATSAPP_CLOUD_BASE_URL": cloud_standin.url, "REDIS_URL": "redis://127.0.0.1:1/0",
                                "CELERY_TASK_ALWAYS_EAGER": "0"})
    yield server
    stop_server(server)


def test_reply_sent_while_the_broker_is_down_goes_out_once_by_the_sweeper(server_without_broker, wa_conversation,
                                                                          agent, cloud_standin):
    response = requests.post(
        f"{server_without_broker.url}/api/v1/accounts/{wa_conversation.account_id}/conversations/"
        f"{wa_conversation.display_id}/messages", json={"content": "**Pedido** a caminho"},
        headers={"api_access_token": api_token_for("User", agent.pk)}, timeout=30)
    assert response.status_code == 200, response.text
    message = Message.objects.get(pk=response.json()["id"])
    assert message.source_id is None and message.status == Message.Status.SENT and not sends(cloud_standin)
    assert sweep_whatsapp_outgoing_task.apply().get() == 0  # younger than a minute: its task may still run
    age(message)
    assert sweep_whatsapp_outgoing_task.apply().get() == 1  # the workers are back
    [body] = sends(cloud_standin)
    assert body["text"]["body"] == "*Pedido* a caminho"
    assert body["biz_opaque_callback_data"] == f"autonomia:{message.pk}:0"
    message.refresh_from_db()
    assert message.source_id.startswith("wamid.OUT") and not OutgoingSend.objects.exists()
    assert sweep_whatsapp_outgoing_task.apply().get() == 0
    assert len(sends(cloud_standin)) == 1


def test_sweeper_leaves_notes_incoming_sent_failed_and_queued_messages(wa_conversation, agent, cloud_standin):
    note = outgoing(wa_conversation, agent, "nota")
    Message.objects.filter(pk=note.pk).update(private=True)
    failed = outgoing(wa_conversation, agent, "falhou")
    Message.objects.filter(pk=failed.pk).update(status=Message.Status.FAILED)
    retrying = outgoing(wa_conversation, agent, "aguardando nova tentativa")
    OutgoingSend.objects.create(message=retrying, due_at=timezone.now() + dt.timedelta(minutes=10))
    for message in (note, failed, retrying):
        age(message)
    Message.objects.filter(source_id="wamid.IN1").update(created_at=timezone.now() - dt.timedelta(minutes=2))
    assert sweep_whatsapp_outgoing_task.apply().get() == 0 and not sends(cloud_standin)
    lost = outgoing(wa_conversation, agent, "perdida")
    age(lost)
    assert sweep_whatsapp_outgoing_task.apply().get() == 1 and len(sends(cloud_standin)) == 1


def test_day_old_unsent_message_is_failed_not_sent(wa_conversation, agent, cloud_standin):
    message = outgoing(wa_conversation, agent)
    age(message, minutes=25 * 60)
    assert sweep_whatsapp_outgoing_task.apply().get() == 0 and not sends(cloud_standin)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.content_attributes["external_error"] == (
        "Não enviada: não foi possível colocar a mensagem na fila de envio em um dia.")


def test_duplicate_tasks_send_once(wa_conversation, agent, cloud_standin):
    message = outgoing(wa_conversation, agent)
    OutgoingSend.objects.create(message=message, state=OutgoingSend.State.SENDING, due_at=timezone.now(),
                                claimed_at=timezone.now())
    assert send_message_task.apply(args=(message.pk,)).get() == "busy"  # another worker holds the claim
    OutgoingSend.objects.all().delete()
    assert send_message_task.apply(args=(message.pk,)).get() == "sent"
    assert send_message_task.apply(args=(message.pk,)).get() == "skipped"
    assert len(sends(cloud_standin)) == 1


def test_stale_claim_without_a_call_in_flight_is_sent(wa_conversation, agent, cloud_standin):
    """The worker died before calling the provider: nothing can have gone out, so the sweeper resends."""
    message = outgoing(wa_conversation, agent)
    age(message)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    OutgoingSend.objects.create(message=message, state=OutgoingSend.State.SENDING, due_at=long_ago,
                                claimed_at=long_ago)
    assert sweep_whatsapp_outgoing_task.apply().get() == 1
    message.refresh_from_db()
    assert message.source_id and len(sends(cloud_standin)) == 1


def run_task_in_worker(message_id: int, standin_url: str) -> subprocess.Popen:
    """A separate worker process running the send task (so the test can kill it mid-call)."""
    db = django_settings.DATABASES["default"]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="autonomia.settings_test",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               WHATSAPP_CLOUD_BASE_URL=standin_url, WEBHOOK_ALLOW_PRIVATE_URLS="1",
               TEST_REDIS_NAMESPACE=django_settings.CACHES["default"]["KEY_PREFIX"])
    code = ("import django; django.setup(); from inboxes.providers.whatsapp.tasks import send_message_task; "
            f"send_message_task.apply(args=({message_id},))")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


def test_worker_killed_after_the_provider_accepted_marks_uncertain_and_never_resends(
        wa_conversation, agent, cloud_standin, agent_client):
    message = outgoing(wa_conversation, agent, "seu pedido saiu")
    cloud_standin.hold_sends()
    worker = run_task_in_worker(message.pk, cloud_standin.url)
    try:
        assert cloud_standin.held.wait(timeout=60), "the worker never called the provider"
        worker.send_signal(signal.SIGKILL)  # the provider has the message; the worker dies before the id
        worker.wait(timeout=10)
    finally:
        cloud_standin.release()
        if worker.poll() is None:
            worker.kill()
    assert len(sends(cloud_standin)) == 1
    row = OutgoingSend.objects.get(pk=message.pk)
    assert row.state == OutgoingSend.State.SENDING and row.attempted_at is not None
    # The redelivered task, at once: the claim is still trusted, so it does nothing.
    assert send_message_task.apply(args=(message.pk,)).get() == "busy"
    # Later (or the sweeper): the claim is stale and a call was in flight, so it may have gone out.
    OutgoingSend.objects.update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    assert send_message_task.apply(args=(message.pk,)).get() == "uncertain"
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.source_id is None
    assert message.content_attributes["whatsapp_send_uncertain"] is True
    assert message.content_attributes["external_error"].startswith(UNCERTAIN_PT)
    age(message)
    assert sweep_whatsapp_outgoing_task.apply().get() == 0
    assert send_message_task.apply(args=(message.pk,)).get() == "uncertain"  # one more redelivery
    assert len(sends(cloud_standin)) == 1  # never resent blindly
    page = agent_client.get(f"/app/accounts/{message.account_id}/conversations/{wa_conversation.display_id}/")
    resend_url = f"/app/accounts/{message.account_id}/conversations/{wa_conversation.display_id}/whatsapp/resend/"
    assert resend_url.encode() in page.content and f'name="message" value="{message.pk}"'.encode() in page.content
    assert "Enviar de novo".encode() in page.content
    # The agent decides to send it again.
    response = agent_client.post(resend_url, {"message": message.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"Enviar de novo" not in response.content
    message.refresh_from_db()
    assert len(sends(cloud_standin)) == 2 and message.source_id.startswith("wamid.OUT")
    assert message.status == Message.Status.SENT and "external_error" not in message.content_attributes
    assert agent_client.post(resend_url, {"message": message.pk}, headers={"HX-Request": "true"}).status_code == 422


def test_send_timing_out_waiting_for_the_reply_is_uncertain(wa_conversation, agent, cloud_standin, settings):
    settings.WHATSAPP_HTTP_TIMEOUT = 1
    message = outgoing(wa_conversation, agent)
    cloud_standin.hold_sends()
    try:
        assert send_message_task.apply(args=(message.pk,)).get() == "uncertain"
    finally:
        cloud_standin.release()
    message.refresh_from_db()
    assert len(sends(cloud_standin)) == 1 and message.status == Message.Status.FAILED
    assert message.content_attributes["whatsapp_send_uncertain"] is True


def test_provider_unreachable_is_retried_not_uncertain(wa_conversation, agent, settings):
    from tests.conftest import free_port

    settings.WHATSAPP_CLOUD_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    message = outgoing(wa_conversation, agent)
    assert send_message_task.apply(args=(message.pk,)).get() == "failed"  # after the six (eager) retries
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and "whatsapp_send_uncertain" not in message.content_attributes


def test_outsider_cannot_resend(outsider_client, wa_conversation, agent):
    message = outgoing(wa_conversation, agent)
    url = f"/app/accounts/{message.account_id}/conversations/{wa_conversation.display_id}/whatsapp/resend/"
    assert outsider_client.post(url, {"message": message.pk}).status_code == 404


# --- Reconciliation: the status webhooks of an interrupted send carry our callback data --------------------

def callback_status(wamid: str, name: str, message: Message, part: int = 0, **extra) -> dict:
    from tests.whatsapp.conftest import status

    return status(wamid, name, biz_opaque_callback_data=f"autonomia:{message.pk}:{part}", **extra)


def post_statuses(server, *statuses):
    from tests.whatsapp.conftest import envelope, post_cloud, value

    response = post_cloud(server, envelope(value(statuses=list(statuses))))
    assert response.status_code == 200, response.text


def test_status_webhook_with_our_callback_data_settles_an_uncertain_send(
        wa_server, wa_conversation, agent, cloud_standin, settings, agent_client):
    settings.WHATSAPP_HTTP_TIMEOUT = 1
    message = outgoing(wa_conversation, agent, "seu pedido saiu")
    cloud_standin.hold_sends()
    try:  # the reply is lost (read timeout): Meta may have the message
        assert send_message_task.apply(args=(message.pk,)).get() == "uncertain"
    finally:
        cloud_standin.release()
    page_url = f"/app/accounts/{message.account_id}/conversations/{wa_conversation.display_id}/"
    assert "Enviar de novo".encode() in agent_client.get(page_url).content
    # Meta's receipts name the wamid we never stored, and echo our callback data.
    post_statuses(wa_server, callback_status("wamid.LOST1", "sent", message))
    message.refresh_from_db()
    assert message.source_id == "wamid.LOST1" and message.status == Message.Status.SENT
    assert "whatsapp_send_uncertain" not in message.content_attributes
    assert "external_error" not in message.content_attributes
    assert not OutgoingSend.objects.filter(pk=message.pk).exists()
    post_statuses(wa_server, callback_status("wamid.LOST1", "delivered", message),
                  callback_status("wamid.LOST1", "sent", message))  # a late "sent" does not go backwards
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    page = agent_client.get(page_url).content.decode()
    assert "Enviar de novo" not in page and UNCERTAIN_PT not in page
    # Nothing sends it again: not a redelivered task, not the sweeper, not the agent.
    age(message)
    assert send_message_task.apply(args=(message.pk,)).get() == "skipped"
    assert sweep_whatsapp_outgoing_task.apply().get() == 0
    resend_url = f"/app/accounts/{message.account_id}/conversations/{wa_conversation.display_id}/whatsapp/resend/"
    response = agent_client.post(resend_url, {"message": message.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Esta mensagem não está aguardando uma decisão." in response.content.decode()
    assert len(sends(cloud_standin)) == 1


def test_status_arriving_before_the_killed_worker_is_noticed_settles_the_send(
        wa_server, wa_conversation, agent, cloud_standin):
    """The worker died after Meta accepted the send; its receipt comes before any claim is found stale."""
    message = outgoing(wa_conversation, agent, "seu pedido saiu")
    cloud_standin.hold_sends()
    worker = run_task_in_worker(message.pk, cloud_standin.url)
    try:
        assert cloud_standin.held.wait(timeout=60), "the worker never called the provider"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        cloud_standin.release()
        if worker.poll() is None:
            worker.kill()
    assert OutgoingSend.objects.get(pk=message.pk).attempted_at is not None
    post_statuses(wa_server, callback_status("wamid.LOST2", "read", message))
    message.refresh_from_db()
    assert (message.source_id, message.status) == ("wamid.LOST2", Message.Status.READ)
    assert not OutgoingSend.objects.exists() and "whatsapp_send_uncertain" not in message.content_attributes
    age(message)
    assert send_message_task.apply(args=(message.pk,)).get() == "skipped"
    assert sweep_whatsapp_outgoing_task.apply().get() == 0
    assert len(sends(cloud_standin)) == 1


def test_forged_or_foreign_callback_data_is_ignored(wa_server, wa_conversation, cloud_channel, agent, account,
                                                    cloud_standin):
    from inboxes.providers.whatsapp.models import ParkedStatus

    other = actions.create_whatsapp_inbox(account, actor=None, name="Outra loja", provider="whatsapp_cloud",
                                          phone_number="+15550002222", member_ids=[agent.pk], config={
                                              "phone_number_id": "999000", "business_account_id": "WABA2",
                                              "api_key": "x", "app_secret": "y"}).whatsapp_channel
    contact_inbox = actions.contact_inbox_for_phone(other, "+5511988880000", name="Bia")
    foreign = outgoing(actions.conversation_for(contact_inbox), agent, "de outra caixa")
    actions.mark_send_uncertain(foreign)
    mine = outgoing(wa_conversation, agent, "minha")
    actions.mark_send_uncertain(mine)
    post_statuses(wa_server, callback_status("wamid.FORGED1", "delivered", foreign),  # another inbox's message
                  status_with("wamid.FORGED2", f"autonomia:{mine.pk}:7"),  # a part it does not have
                  status_with("wamid.FORGED3", f"outro:{mine.pk}:0"),  # not our prefix
                  status_with("wamid.FORGED4", f"autonomia:{mine.pk}:0:1"))
    for message in (foreign, mine):
        message.refresh_from_db()
        assert message.source_id is None and message.status == Message.Status.FAILED
        assert message.content_attributes["whatsapp_send_uncertain"] is True
        assert OutgoingSend.objects.get(pk=message.pk).state == OutgoingSend.State.UNCERTAIN
    # The receipts were parked by wamid like any unknown one (dropped after a day).
    assert set(ParkedStatus.objects.values_list("source_id", flat=True)) == {
        "wamid.FORGED1", "wamid.FORGED2", "wamid.FORGED3", "wamid.FORGED4"}


def status_with(wamid: str, callback: str) -> dict:
    from tests.whatsapp.conftest import status

    return status(wamid, "delivered", biz_opaque_callback_data=callback)


def test_multi_part_send_interrupted_on_a_middle_part_sends_only_the_rest_once_reconciled(
        wa_server, wa_conversation, agent, cloud_standin):
    """Three photos: the first went out and was recorded, the second's call was interrupted (uncertain), the
    third was never sent. The second's receipt names it: the rest goes out, nothing is sent twice."""
    from django.core.files.base import ContentFile

    from conversations.models import Attachment
    from tests.whatsapp.standins import PNG

    message = outgoing(wa_conversation, agent, "fotos")
    for n in range(3):
        Attachment.objects.create(message=message, account_id=message.account_id, file_type=Attachment.FileType.IMAGE,
                                  file=ContentFile(PNG, name=f"foto{n}.png"), file_name=f"foto{n}.png",
                                  content_type="image/png", file_size=len(PNG))
    Message.objects.filter(pk=message.pk).update(external_source_ids={"whatsapp_parts": {"0": "wamid.P0"}})
    message.refresh_from_db()
    actions.mark_send_uncertain(message)
    # The first part's receipt: known already, kept (parked) for when every part's id is known.
    post_statuses(wa_server, callback_status("wamid.P0", "delivered", message, part=0))
    message.refresh_from_db()
    assert message.content_attributes["whatsapp_send_uncertain"] is True and not sends(cloud_standin)
    post_statuses(wa_server, callback_status("wamid.P1", "sent", message, part=1))
    [third] = sends(cloud_standin)  # only the part that never went out
    assert third["type"] == "image" and third["biz_opaque_callback_data"] == f"autonomia:{message.pk}:2"
    message.refresh_from_db()
    assert message.source_id == "wamid.P0" and message.status == Message.Status.DELIVERED
    assert message.external_source_ids["whatsapp"][:2] == ["wamid.P0", "wamid.P1"]
    assert message.external_source_ids["whatsapp"][2].startswith("wamid.OUT")
    assert "whatsapp_send_uncertain" not in message.content_attributes and not OutgoingSend.objects.exists()
    post_statuses(wa_server, callback_status("wamid.P1", "read", message, part=1))  # a later part's receipt
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and len(sends(cloud_standin)) == 1


def test_failed_receipt_of_an_uncertain_send_fails_it_with_metas_reason(wa_server, wa_conversation, agent,
                                                                        cloud_standin):
    message = outgoing(wa_conversation, agent)
    actions.mark_send_uncertain(message)
    post_statuses(wa_server, callback_status("wamid.LOST4", "failed", message,
                                             errors=[{"code": 131047, "title": "Re-engagement message"}]))
    message.refresh_from_db()
    assert (message.source_id, message.status) == ("wamid.LOST4", Message.Status.FAILED)
    assert message.content_attributes["external_error"].startswith("131047: ")
    assert "whatsapp_send_uncertain" not in message.content_attributes and not OutgoingSend.objects.exists()
    assert send_message_task.apply(args=(message.pk,)).get() == "skipped" and not sends(cloud_standin)
