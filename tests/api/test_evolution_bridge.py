"""Contract tests through a real uvicorn server: Evolution API's Chatwoot bridge (channels.md §2.4) and the
`api_access_token` header spelling, which Django's test Client cannot reproduce (channels.md §0).

This module replays the bridge's whole table (rows 1–14) in its order, with its exact bodies: the inbox
lookup/auto-creation (1–2), contacts and conversations (3–13), and the public API's update_last_seen (14).
"""

import json

import pytest
import requests

from contacts.models import Contact, ContactInbox
from conversations.models import Attachment, Conversation, Message
from inboxes.models import Inbox
from tests.api.test_messages_api import png_bytes

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "5511987654321"  # what Evolution sends: no '+'
WITHOUT_NINE = "551187654321"
JID = f"{NUMBER}@s.whatsapp.net"


def sdk_headers(token: str) -> dict:
    """Evolution's SDK calls send both spellings (the multipart upload sends only api_access_token)."""
    return {"Authorization": f"Bearer {token}", "api_access_token": token, "Content-Type": "application/json"}


def test_underscore_header_survives_uvicorn(live_api, tokens, conversation):
    path = f"conversations/{conversation.display_id}"
    assert live_api("GET", path, headers={"api_access_token": tokens["admin"]}).status_code == 200
    assert live_api("GET", path, headers={"api-access-token": tokens["admin"]}).status_code == 200
    assert live_api("GET", path, headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 200
    assert live_api("GET", path, headers={}).status_code == 401
    assert live_api("GET", path, headers={"api_access_token": "wrong"}).status_code == 401
    assert live_api("GET", path, headers={"api_access_token": tokens["outsider"]}).status_code == 404
    assert live_api("GET", path, headers={"api_access_token": tokens["agent_outside"]}).status_code == 404
    malformed = live_api("POST", path + "/toggle_status", data=b"{", headers={
        "api_access_token": tokens["admin"], "Content-Type": "application/json"})
    assert malformed.status_code == 400


def test_manual_api_key_example_through_uvicorn(live_server_asgi, tokens, inbox, contact):
    response = requests.post(f"{live_server_asgi.url}/api/v1/conversations", timeout=20, headers={
        "API-Key": tokens["admin"], "Content-Type": "application/json"}, data=json.dumps({
            "source_id": "web_widget", "inbox_id": inbox.pk, "contact_id": contact.pk,
            "message": {"content": "Olá, preciso de ajuda com meu pedido #12345"}}))
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["content"] == "Olá, preciso de ajuda com meu pedido #12345"


def test_evolution_bridge_sequence(live_api, tokens, account):
    token = tokens["admin"]
    call = lambda method, path, body=None: live_api(
        method, path, headers=sdk_headers(token), data=json.dumps(body) if body is not None else None)

    # 1. GET inboxes, matched on name == nameInbox: not there yet
    response = call("GET", "inboxes")
    assert response.status_code == 200 and "evolution-shop1" not in [i["name"] for i in response.json()["payload"]]

    # 2. autoCreate: POST inboxes/ (trailing slash) with an API channel and the bridge's webhook_url
    webhook_url = "http://evolution.invalid:8080/chatwoot/webhook/shop1"
    response = call("POST", "inboxes/", {"name": "evolution-shop1",
                                         "channel": {"type": "api", "webhook_url": webhook_url}})
    assert response.status_code == 200, response.text
    inbox_id = response.json()["id"]
    assert type(inbox_id) is int
    # 1 again: found by name, with its id and inbox_identifier
    listed = [i for i in call("GET", "inboxes").json()["payload"] if i["name"] == "evolution-shop1"]
    assert [(i["id"], i["webhook_url"]) for i in listed] == [(inbox_id, webhook_url)]
    inbox = Inbox.objects.select_related("api_channel").get(pk=inbox_id, account=account)
    inbox_identifier = listed[0]["inbox_identifier"]
    assert inbox_identifier == inbox.api_channel.identifier

    # 3. contacts/filter: no '+', both Brazilian variants, query_operator OR / null
    phone_filter = {"payload": [
        {"attribute_key": "phone_number", "filter_operator": "equal_to", "values": [NUMBER], "query_operator": "OR"},
        {"attribute_key": "phone_number", "filter_operator": "equal_to", "values": [WITHOUT_NINE],
         "query_operator": None}]}
    response = call("POST", "contacts/filter", phone_filter)
    assert response.status_code == 200, response.text
    assert response.json()["payload"] == []

    # 4. contacts/search by a group JID (matched on identifier)
    response = call("GET", "contacts/search?q=120363025@g.us")
    assert response.status_code == 200 and response.json()["payload"] == []

    # 5. POST contacts: answers {payload:{contact, contact_inbox:{inbox, source_id}}}
    response = call("POST", "contacts", {"inbox_id": inbox.pk, "name": "Ana", "identifier": JID,
                                         "avatar_url": "https://pps.whatsapp.net/v/ana.jpg",
                                         "phone_number": f"+{NUMBER}"})
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    contact_id = payload["contact"]["id"]
    assert type(contact_id) is int and payload["contact_inbox"]["inbox"]["id"] == inbox.pk
    assert isinstance(payload["contact_inbox"]["source_id"], str)

    # 3 again: found, with the stored '+'
    found = call("POST", "contacts/filter", phone_filter).json()["payload"]
    assert [(c["id"], c["phone_number"]) for c in found] == [(contact_id, f"+{NUMBER}")]

    # 6. PUT contacts/{id}: name, avatar_url, avatar null, identifier
    response = call("PUT", f"contacts/{contact_id}", {"name": "Ana Souza", "avatar_url": "https://x/a.jpg",
                                                      "avatar": None, "identifier": JID})
    assert response.status_code == 200 and response.json()["payload"]["name"] == "Ana Souza"
    # an update that collides answers an error, which makes the bridge merge (7.)
    duplicate = Contact.objects.create(account=account, name="Ana (sem 9)", phone_number=f"+{WITHOUT_NINE}")
    response = call("PUT", f"contacts/{contact_id}", {"phone_number": f"+{WITHOUT_NINE}"})
    assert response.status_code == 422 and set(response.json()) == {"message", "attributes"}
    response = call("POST", "actions/contact_merge", {"base_contact_id": contact_id,
                                                      "mergee_contact_id": duplicate.pk})
    assert response.status_code == 200 and not Contact.objects.filter(pk=duplicate.pk).exists()

    # 8. the contact's conversations
    response = call("GET", f"contacts/{contact_id}/conversations")
    assert response.status_code == 200 and response.json()["payload"] == []

    # 9. POST conversations with ids as strings
    response = call("POST", "conversations", {"contact_id": str(contact_id), "inbox_id": str(inbox.pk),
                                              "status": "pending"})
    assert response.status_code == 200, response.text
    display_id = response.json()["id"]
    assert type(display_id) is int and response.json()["status"] == "pending"
    rows = call("GET", f"contacts/{contact_id}/conversations").json()["payload"]
    assert [(r["id"], r["inbox_id"], r["status"]) for r in rows] == [(display_id, inbox.pk, "pending")]

    # 11. toggle_status pending
    response = call("POST", f"conversations/{display_id}/toggle_status", {"status": "pending"})
    assert response.status_code == 200 and response.json()["payload"]["current_status"] == "pending"

    # 12. JSON message from WhatsApp
    response = call("POST", f"conversations/{display_id}/messages", {
        "content": "Oi, quero saber do meu pedido", "message_type": "incoming", "private": False,
        "source_id": "WAID:3EB0A1B2C3D4", "content_attributes": {"in_reply_to": None,
                                                                 "in_reply_to_external_id": None},
        "source_reply_id": None, "attachments": []})
    assert response.status_code == 200, response.text
    text = response.json()
    assert type(text["id"]) is int and text["inbox_id"] == inbox.pk and text["conversation_id"] == display_id

    # 12b. multipart upload with ONLY the underscore header, content_attributes as a JSON string
    response = live_api("POST", f"conversations/{display_id}/messages", headers={"api_access_token": token},
                        data={"content": "foto", "message_type": "incoming", "source_id": "WAID:3EB0FFFF",
                              "content_attributes": json.dumps({"in_reply_to": text["id"]}),
                              "source_reply_id": str(text["id"])},
                        files=[("attachments[]", ("foto.png", png_bytes(), "image/png"))])
    assert response.status_code == 200, response.text
    media = response.json()
    assert media["content_attributes"] == {"in_reply_to": text["id"]} and media["attachments"][0][
        "file_type"] == "image"
    # the attachment's data_url is fetchable without a token (the bridge sends it to WhatsApp)
    data_path = media["attachments"][0]["data_url"].split("/", 3)[3]
    download = requests.get(f"{live_api.base}/{data_path}", timeout=20)
    assert download.status_code == 200 and download.content == png_bytes()

    # 10. GET the conversation: messages[0] is the current message with its WAID source_id, and
    # last_non_activity_message.conversation.contact_inbox.source_id is there
    response = call("GET", f"conversations/{display_id}")
    assert response.status_code == 200
    conversation = response.json()
    contact_inbox = ContactInbox.objects.get(contact_id=contact_id, inbox=inbox)
    assert conversation["last_non_activity_message"]["conversation"]["contact_inbox"]["source_id"] == \
        contact_inbox.source_id
    assert conversation["messages"][0]["id"] == media["id"]
    assert conversation["messages"][0]["source_id"] == "WAID:3EB0FFFF"
    assert conversation["meta"]["sender"]["identifier"] == JID
    assert conversation["meta"]["sender"]["phone_number"] == f"+{NUMBER}"

    # an agent's reply (what the bridge then sends to WhatsApp) is messages[0] too, without a WAID
    reply = call("POST", f"conversations/{display_id}/messages", {"content": "Já verifico!",
                                                                  "message_type": "outgoing"}).json()
    assert call("GET", f"conversations/{display_id}").json()["messages"][0]["id"] == reply["id"]

    # 13. DELETE a message deleted on WhatsApp
    response = call("DELETE", f"conversations/{display_id}/messages/{text['id']}")
    assert response.status_code == 200 and response.json()["content_attributes"]["deleted"] is True

    # what the server stored
    stored = Conversation.objects.get(account=account, display_id=display_id)
    assert stored.status == Conversation.Status.PENDING and stored.contact_id == contact_id
    assert Message.objects.get(source_id="WAID:3EB0A1B2C3D4").content_attributes["deleted"] is True
    assert Attachment.objects.filter(message__source_id="WAID:3EB0FFFF").count() == 1
    # replaying a WhatsApp message (Evolution retries) does not duplicate it
    again = call("POST", f"conversations/{display_id}/messages", {
        "content": "foto", "message_type": "incoming", "source_id": "WAID:3EB0FFFF"})
    assert again.json()["id"] == media["id"]
    assert Message.objects.filter(source_id="WAID:3EB0FFFF").count() == 1

    # 14. the public API's update_last_seen (an outgoing message was READ on WhatsApp): no token
    public = (f"{live_api.base}/public/api/v1/inboxes/{inbox_identifier}/contacts/"
              f"{contact_inbox.source_id}/conversations/{display_id}/update_last_seen")
    assert stored.contact_last_seen_at is None
    response = requests.post(public, timeout=20, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    stored.refresh_from_db()
    assert stored.contact_last_seen_at is not None
    assert call("GET", f"conversations/{display_id}").json()["contact_last_seen_at"] == int(
        stored.contact_last_seen_at.timestamp())
