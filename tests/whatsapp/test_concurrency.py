"""Two workers processing at once: one message per wamid, one contact and one conversation per new customer."""

import threading

import pytest
from django.db import connection

from contacts.models import Contact
from conversations.models import Conversation, Message
from inboxes.providers.whatsapp.models import ReceivedEvent
from inboxes.providers.whatsapp.tasks import process_event
from tests.whatsapp.conftest import envelope, raw, text_message, value

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(event_ids):
    barrier = threading.Barrier(len(event_ids))
    outcomes, errors = [], []

    def work(event_id):
        try:
            barrier.wait()
            outcomes.append(process_event(event_id))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in event_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    return outcomes


def stored_event(channel, *messages):
    return ReceivedEvent.objects.create(channel=channel, provider="whatsapp_cloud",
                                        body=raw(envelope(value(list(messages)))).decode()).pk


@pytest.mark.parametrize("round_", range(3))
def test_same_wamid_in_two_workers_is_stored_once(cloud_channel, round_):
    ids = [stored_event(cloud_channel, text_message(f"wamid.RACE{round_}", sender="5511955550000"))
           for _ in range(3)]
    assert run_together(ids).count("processed") == 3
    assert Message.objects.filter(source_id=f"wamid.RACE{round_}").count() == 1


def test_first_messages_of_a_new_customer_in_two_workers(cloud_channel):
    ids = [stored_event(cloud_channel, text_message(f"wamid.FIRST{i}", sender="5511944440000")) for i in range(4)]
    assert run_together(ids).count("processed") == 4
    assert Contact.objects.filter(phone_number="+5511944440000").count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(message_type=Message.MessageType.INCOMING).count() == 4


def test_both_ninth_digit_forms_at_once_are_one_customer(cloud_channel):
    ids = [stored_event(cloud_channel, text_message("wamid.NINE1", sender="5511987650000")),
           stored_event(cloud_channel, text_message("wamid.NINE2", sender="551187650000"))]
    assert run_together(ids).count("processed") == 2
    assert list(Contact.objects.values_list("phone_number", flat=True)) == ["+5511987650000"]
    assert Conversation.objects.count() == 1
