"""The inbound pipeline's throughput work: batched processing, the webhook's route cache and bare handler, media
downloaded with no transaction open, and Evolution group names fetched once, off the hot path."""

import pytest
import requests
from django.db import connection, transaction

from contacts import actions as contact_actions
from contacts.models import Contact
from conversations.models import Attachment, Message
from inboxes.providers.whatsapp import actions, queueing
from inboxes.providers.whatsapp.models import ReceivedEvent
from inboxes.providers.whatsapp.tasks import fetch_group_name_task, process_event, process_events
from tests.whatsapp.conftest import APP_SECRET, envelope, post_cloud, raw, sign, text_message, value
from tests.whatsapp.standins import PNG
from tests.whatsapp.test_evolution import post as post_evolution
from tests.whatsapp.test_evolution import upsert

pytestmark = pytest.mark.django_db(transaction=True)


def stored(channel, payload) -> ReceivedEvent:
    """A pending event as the webhook stores it, without waking the task (the test processes it)."""
    return ReceivedEvent.objects.create(channel=channel, provider=channel.provider, event="messages",
                                        body=raw(payload).decode())


# --- Batches ------------------------------------------------------------------------------------

def test_a_batch_processes_each_event_once_in_order(cloud_channel):
    events = [stored(cloud_channel, envelope(value([text_message(f"wamid.N{i}", f"mensagem {i}")])))
              for i in range(3)]
    duplicate = stored(cloud_channel, envelope(value([text_message("wamid.N1", "mensagem 1")])))
    ids = [e.pk for e in events] + [duplicate.pk, events[0].pk]
    assert process_events(ids) == {"processed": 4, "skipped": 1}  # the repeated id is already done
    messages = list(Message.objects.filter(message_type=0).order_by("id").values_list("source_id", "content"))
    assert messages == [("wamid.N0", "mensagem 0"), ("wamid.N1", "mensagem 1"), ("wamid.N2", "mensagem 2")]
    assert set(ReceivedEvent.objects.values_list("status", flat=True)) == {ReceivedEvent.Status.PROCESSED}


def test_the_publisher_wakes_events_stored_close_together_as_one_batch():
    publisher = queueing._Publisher()
    for event_id in (11, 12, 13):
        publisher.pending.put(event_id)
    assert publisher._batch() == [11, 12, 13]
    for event_id in range(queueing.BATCH_MAX + 2):
        publisher.pending.put(event_id)
    assert len(publisher._batch()) == queueing.BATCH_MAX
    assert publisher._batch() == [queueing.BATCH_MAX, queueing.BATCH_MAX + 1]


# --- Media outside the transaction ------------------------------------------------------------------

def test_media_is_downloaded_while_no_transaction_holds_the_event(cloud_channel, cloud_standin):
    cloud_standin.add_media("MEDIA-OUT", PNG)
    event = stored(cloud_channel, envelope(value([{"from": "5511999990000", "id": "wamid.PIC", "type": "image",
                                                   "image": {"id": "MEDIA-OUT", "mime_type": "image/png",
                                                             "caption": "foto"}}])))
    seen = []

    def probe():  # runs in the stand-in's thread, on its own database connection
        try:
            with transaction.atomic():
                locked = ReceivedEvent.objects.select_for_update(nowait=True).filter(pk=event.pk).exists()
            seen.append("free" if locked else "missing")
        except Exception as error:  # noqa: BLE001 (a lock held by the worker: "could not obtain lock")
            seen.append(type(error).__name__)
        finally:
            connection.close()

    cloud_standin.on_download = probe
    assert process_event(event.pk) == "processed"
    assert seen == ["free"]
    message = Message.objects.get(source_id="wamid.PIC")
    attachment = message.attachments.get()
    assert (message.content, attachment.file_type, attachment.file.read()) == ("foto", Attachment.FileType.IMAGE, PNG)


def test_a_media_server_error_leaves_the_event_for_the_sweeper(cloud_channel, cloud_standin):
    cloud_standin.add_media("MEDIA-5XX", PNG)
    cloud_standin.fail_next("media", 503, {"error": {"message": "try later", "code": 2}})
    event = stored(cloud_channel, envelope(value([{"from": "5511999990000", "id": "wamid.LATER", "type": "image",
                                                   "image": {"id": "MEDIA-5XX", "mime_type": "image/png"}}])))
    assert process_event(event.pk) == "retry"
    event.refresh_from_db()
    assert (event.status, event.attempts) == (ReceivedEvent.Status.FAILED, 1) and "MEDIA-5XX" in event.error
    assert not Message.objects.filter(source_id="wamid.LATER").exists()
    assert process_event(event.pk) == "processed"  # the sweeper's next attempt
    assert Message.objects.get(source_id="wamid.LATER").attachments.get().file.read() == PNG


# --- The webhook: route cache, bare handler ------------------------------------------------------------

@pytest.mark.servers
def test_a_new_app_secret_is_accepted_at_once_and_the_old_one_refused(wa_server, cloud_channel):
    assert post_cloud(wa_server, envelope(value([text_message("wamid.K1")]))).status_code == 200  # route cached
    actions.update_whatsapp_channel(cloud_channel, actor=None, phone_number=cloud_channel.phone_number,
                                    config={**cloud_channel.provider_config, "app_secret": "novo-segredo"})
    body = raw(envelope(value([text_message("wamid.K2")])))
    assert post_cloud(wa_server, body=body, signature=sign(body, "novo-segredo")).status_code == 200
    old = raw(envelope(value([text_message("wamid.K3")])))
    assert post_cloud(wa_server, body=old, signature=sign(old, APP_SECRET)).status_code == 401
    assert set(Message.objects.filter(message_type=0).values_list("source_id", flat=True)) == {"wamid.K1", "wamid.K2"}


@pytest.mark.servers
def test_a_deleted_channel_stops_answering_at_once(wa_server, cloud_channel):
    assert post_cloud(wa_server, envelope(value([text_message("wamid.D1")]))).status_code == 200  # route cached
    cloud_channel.inbox.delete()
    assert post_cloud(wa_server, envelope(value([text_message("wamid.D2")]))).status_code == 404
    assert not ReceivedEvent.objects.filter(body__contains="wamid.D2").exists()


@pytest.mark.servers
def test_the_webhook_skips_the_site_middleware_but_still_checks_the_host(wa_server, cloud_channel):
    response = post_cloud(wa_server, envelope(value([text_message("wamid.H1")])))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "Content-Security-Policy" not in response.headers
    body = raw(envelope(value([text_message("wamid.H2")])))
    wrong_host = requests.post(f"{wa_server.url}/webhooks/whatsapp/15550001111", data=body, timeout=10,
                               headers={"Host": "evil.example", "X-Hub-Signature-256": sign(body)})
    assert wrong_host.status_code == 400
    assert not Message.objects.filter(source_id="wamid.H2").exists()


# --- Evolution group names ------------------------------------------------------------------------------

@pytest.mark.servers
def test_a_group_is_named_after_its_subject_once(wa_server, evolution_channel, evolution_standin):
    evolution_standin.groups["120363099@g.us"] = "Família Souza"
    for key_id in ("GN1", "GN2"):
        message = upsert(key_id, {"conversation": "oi, grupo"}, jid="120363099@g.us",
                         participant="5521988887777@s.whatsapp.net", push_name="Carlos")
        assert post_evolution(wa_server, evolution_channel, message).ok
    contact = Contact.objects.get(identifier="120363099@g.us")
    assert contact.name == "Família Souza"
    assert contact.additional_attributes["whatsapp_group_subject"] == "Família Souza"
    assert len(evolution_standin.calls("GET", "/group/findGroupInfos/")) == 1
    assert evolution_standin.calls("GET", "/group/findGroupInfos/")[0].query["groupJid"] == ["120363099@g.us"]
    assert Message.objects.get(source_id="GN2").content == "**Carlos:**\noi, grupo"


def test_an_unknown_group_keeps_its_placeholder_and_is_not_asked_again(evolution_channel, evolution_standin):
    contact_inbox = actions.contact_inbox_for_identifier(evolution_channel, "120363404@g.us",
                                                         name="Grupo do WhatsApp 120363404")
    assert fetch_group_name_task.apply(args=(evolution_channel.pk, contact_inbox.contact_id)).get() == "named"
    contact = Contact.objects.get(pk=contact_inbox.contact_id)
    assert contact.name == "Grupo do WhatsApp 120363404"
    assert contact.additional_attributes["whatsapp_group_subject"] == ""
    assert fetch_group_name_task.apply(args=(evolution_channel.pk, contact.pk)).get() == "skipped"
    assert len(evolution_standin.calls("GET", "/group/findGroupInfos/")) == 1


def test_a_temporary_lookup_failure_is_retried_later(evolution_channel, evolution_standin):
    evolution_standin.groups["120363500@g.us"] = "Vendas"
    evolution_standin.fail_next("group", 502, {"status": 502, "error": "Bad Gateway"})
    contact_inbox = actions.contact_inbox_for_identifier(evolution_channel, "120363500@g.us", name="x")
    assert fetch_group_name_task.apply(args=(evolution_channel.pk, contact_inbox.contact_id)).get() == "retry"
    assert "whatsapp_group_subject" not in Contact.objects.get(pk=contact_inbox.contact_id).additional_attributes
    assert fetch_group_name_task.apply(args=(evolution_channel.pk, contact_inbox.contact_id)).get() == "named"


def test_a_renamed_group_contact_keeps_the_agents_name(evolution_channel):
    contact_inbox = actions.contact_inbox_for_identifier(evolution_channel, "120363777@g.us",
                                                         name="Grupo do WhatsApp 120363777")
    contact = actions.record_group_subject(contact_inbox.contact, "Time Azul")
    assert contact.name == "Time Azul"
    contact = contact_actions.update_contact(contact, actor=None, name="Clientes VIP")  # an agent renamed it
    contact = actions.record_group_subject(contact, "Time Verde")
    assert contact.name == "Clientes VIP" and contact.additional_attributes["whatsapp_group_subject"] == "Time Verde"
