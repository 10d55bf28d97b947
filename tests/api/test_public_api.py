"""The Client (public) API's update_last_seen (inboxes/public_api.py; chatwoot-compat.md §6): no token, ids are
the API channel identifier, the contact inbox source_id and the conversation's display_id; 404 JSON otherwise."""

import pytest
from django.test import Client

from contacts.actions import get_or_create_contact_inbox
from tests import factories

NOT_FOUND = {"error": "Resource could not be found"}


@pytest.fixture
def api_inbox(account):
    inbox = factories.make_inbox(account, name="API")
    assert inbox.api_channel.identifier
    return inbox


def url(identifier, source_id, display_id) -> str:
    return (f"/public/api/v1/inboxes/{identifier}/contacts/{source_id}/conversations/{display_id}"
            "/update_last_seen")


@pytest.mark.django_db
def test_update_last_seen(api_inbox, contact, other_account):
    contact_inbox = get_or_create_contact_inbox(contact, api_inbox, source_id="5511912345678")
    conversation = factories.make_conversation(api_inbox, contact=contact)
    assert conversation.contact_inbox_id == contact_inbox.pk
    identifier = api_inbox.api_channel.identifier
    client = Client()
    assert conversation.contact_last_seen_at is None

    response = client.post(url(identifier, contact_inbox.source_id, conversation.display_id))
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.contact_last_seen_at is not None

    assert client.get(url(identifier, contact_inbox.source_id, conversation.display_id)).status_code == 405
    # unknown inbox, contact, conversation; another contact's conversation; another inbox's identifier
    other = factories.make_conversation(api_inbox)
    other_inbox = factories.make_inbox(other_account, name="Alheia")
    for args in (("nope", contact_inbox.source_id, conversation.display_id),
                 (identifier, "unknown-source", conversation.display_id),
                 (identifier, contact_inbox.source_id, 99999),
                 (identifier, contact_inbox.source_id, other.display_id),
                 (other_inbox.api_channel.identifier, contact_inbox.source_id, conversation.display_id)):
        response = client.post(url(*args))
        assert response.status_code == 404, args
        assert response.json() == NOT_FOUND
