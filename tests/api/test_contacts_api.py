"""Contact endpoints of the Chatwoot-compatible API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, ContactInbox, ContactLabel, ContactNote
from conversations.models import Conversation, Message
from tests import factories
from tests.api.conftest import assert_422, assert_hidden

pytestmark = pytest.mark.django_db

CONTACT_KEYS = {"additional_attributes", "availability_status", "email", "id", "name", "phone_number", "blocked",
                "identifier", "thumbnail", "custom_attributes", "last_activity_at", "created_at"}


def test_list_shape_sort_and_pages(api, account, contact, inbox):
    ContactInbox.objects.create(contact=contact, inbox=inbox, source_id="5511912345678")
    for i in range(16):
        factories.make_contact(account, name=f"Pessoa {i:02d}", email=f"p{i}@x.com")
    body = api("GET", "contacts", query={"sort": "name"}).json()
    assert body["meta"] == {"count": 17, "current_page": 1}
    assert len(body["payload"]) == 15
    names = [c["name"] for c in body["payload"]]
    assert names == sorted(names) and names[0] == "Carla Cliente"
    carla = body["payload"][0]
    assert CONTACT_KEYS <= set(carla) and type(carla["id"]) is int and type(carla["created_at"]) is int
    assert carla["contact_inboxes"][0]["source_id"] == "5511912345678"
    assert carla["contact_inboxes"][0]["inbox"]["id"] == inbox.pk
    assert carla["contact_inboxes"][0]["inbox"]["inbox_identifier"]
    desc = api("GET", "contacts", query={"sort": "-name"}).json()["payload"]
    assert desc[0]["name"] == "Pessoa 15"
    assert len(api("GET", "contacts", query={"page": 2}).json()["payload"]) == 2


def test_list_constant_queries(api, account, inbox):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api("GET", "contacts").status_code == 200
        return len(ctx.captured_queries)

    def make():
        c = factories.make_contact(account)
        ContactInbox.objects.create(contact=c, inbox=inbox, source_id=f"s{c.pk}")

    make()
    few = count()
    for _ in range(13):  # 14 rows: still one page that is not full (a full page also counts the matches)
        make()
    assert count() == few


def test_contacts_are_account_scoped(api, tokens, contact, other_account):
    factories.make_contact(other_account, name="Alheio")
    assert api("GET", "contacts", token=tokens["outsider"]).status_code == 404
    names = [c["name"] for c in api("GET", "contacts", token=tokens["outsider"],
                                    account_id=other_account.pk).json()["payload"]]
    assert names == ["Alheio"]
    for method, suffix, body in (("GET", "", None), ("PUT", "", {"name": "x"}), ("PATCH", "", {"name": "x"}),
                                 ("DELETE", "", None), ("GET", "/conversations", None),
                                 ("POST", "/contact_inboxes", {"inbox_id": 1}), ("GET", "/labels", None),
                                 ("POST", "/labels", {"labels": ["a"]}), ("GET", "/notes", None),
                                 ("POST", "/notes", {"content": "x"})):
        assert_hidden(api, tokens, method, f"contacts/{contact.pk}{suffix}", body,
                      other_account_id=other_account.pk, outside=False)
    contact.refresh_from_db()
    assert contact.name == "Carla Cliente" and not ContactNote.objects.exists()
    assert_hidden(api, tokens, "POST", "actions/contact_merge",
                  {"base_contact_id": contact.pk, "mergee_contact_id": contact.pk},
                  other_account_id=other_account.pk, outside=False)


def test_search(api, account, contact):
    factories.make_contact(account, name="Grupo", identifier="120363@g.us")
    assert [c["identifier"] for c in api("GET", "contacts/search", query={"q": "120363@g.us"}).json()[
        "payload"]] == ["120363@g.us"]
    assert [c["id"] for c in api("GET", "contacts/search", query={"q": "5511912345678"}).json()[
        "payload"]] == [contact.pk]
    assert api("GET", "contacts/search", query={"q": "carla"}).json()["meta"]["count"] == 1


def test_filter_phone_without_plus_and_brazilian_ninth_digit(api, account, contact):
    old = factories.make_contact(account, name="Sem nove", phone_number="+551133334444")
    rows = lambda *values: {"payload": [{"attribute_key": "phone_number", "filter_operator": "equal_to",
                                         "values": list(values), "query_operator": None}]}
    found = api("POST", "contacts/filter", rows("5511912345678", "551112345678")).json()
    assert [c["phone_number"] for c in found["payload"]] == ["+5511912345678"]
    # only the variant without the 9th digit is sent: still found
    mobile = factories.make_contact(account, name="Celular", phone_number="+5511987654321")
    assert [c["id"] for c in api("POST", "contacts/filter", rows("551187654321")).json()["payload"]] == [
        mobile.pk]
    assert [c["id"] for c in api("POST", "contacts/filter", rows("5511933334444")).json()["payload"]] == [old.pk]
    both = api("POST", "contacts/filter", {"payload": [
        {"attribute_key": "email", "filter_operator": "contains", "values": ["cliente"], "query_operator": "OR"},
        {"attribute_key": "name", "filter_operator": "equal_to", "values": ["Sem nove"]}]}).json()
    assert sorted(c["id"] for c in both["payload"]) == sorted([contact.pk, old.pk])
    assert_422(api("POST", "contacts/filter", {"payload": [
        {"attribute_key": "shoe_size", "filter_operator": "equal_to", "values": [42]}]}), "attribute_key")
    assert api("POST", "contacts/filter", raw=b"{").status_code == 400


def test_create_with_inbox_answers_contact_inbox(api, inbox):
    response = api("POST", "contacts", {"inbox_id": str(inbox.pk), "name": "Ana", "identifier": "5511@s.whatsapp.net",
                                        "phone_number": "+5511987654321", "avatar_url": "https://x/y.png"})
    assert response.status_code == 200, response.content
    payload = response.json()["payload"]
    assert payload["contact"]["name"] == "Ana" and type(payload["contact"]["id"]) is int
    assert payload["contact_inbox"]["inbox"]["id"] == inbox.pk and payload["contact_inbox"]["source_id"]
    assert ContactInbox.objects.get(contact_id=payload["contact"]["id"]).source_id == payload["contact_inbox"][
        "source_id"]
    plain = api("POST", "contacts", {"name": "Sem caixa", "email": "SEM@X.COM"}).json()["payload"]
    assert plain["contact_inbox"] is None and plain["contact"]["email"] == "sem@x.com"


def test_create_bad_input_writes_nothing(api, inbox, contact, tokens, other_inbox):
    before = (Contact.objects.count(), ContactInbox.objects.count())
    assert_422(api("POST", "contacts", {"name": "x", "email": "carla@cliente.com"}))
    assert_422(api("POST", "contacts", {"name": "x", "phone_number": "abc"}), "phone_number")
    assert_422(api("POST", "contacts", {"name": "x", "custom_attributes": []}), "custom_attributes")
    assert_422(api("POST", "contacts", {"name": "x", "inbox_id": "one"}), "inbox_id")
    ContactInbox.objects.create(contact=contact, inbox=inbox, source_id="taken")
    before = (Contact.objects.count(), ContactInbox.objects.count())
    assert_422(api("POST", "contacts", {"name": "novo", "inbox_id": inbox.pk, "source_id": "taken"}), "source_id")
    # an agent outside the inbox cannot create identities in it
    assert api.as_(tokens["agent_outside"])("POST", "contacts", {"name": "x", "inbox_id": inbox.pk}).status_code \
        == 404
    assert api("POST", "contacts", raw=b"{,").status_code == 400
    assert (Contact.objects.count(), ContactInbox.objects.count()) == before


def test_show_update_delete(api, tokens, contact, conversation):
    url = f"contacts/{contact.pk}"
    assert api("GET", url).json()["payload"]["email"] == "carla@cliente.com"
    data = api("PUT", url, {"name": "Carla Souza", "custom_attributes": {"plano": "ouro"}}).json()["payload"]
    assert data["name"] == "Carla Souza" and data["custom_attributes"] == {"plano": "ouro"}
    assert api("PATCH", url, {"phone_number": "5511900001111"}).json()["payload"]["phone_number"] == "+5511900001111"
    other = factories.make_contact(contact.account, email="outra@x.com")
    assert_422(api("PUT", url, {"email": "outra@x.com"}))
    assert_422(api("PUT", url, {"name": 7}), "name")
    contact.refresh_from_db()
    assert contact.email == "carla@cliente.com"
    assert api.as_(tokens["agent"])("DELETE", url).status_code == 401  # administrators only
    assert api("DELETE", url).status_code == 200
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert Contact.objects.filter(pk=other.pk).exists()


def test_contact_conversations_only_visible_ones(api, tokens, contact, conversation, other_inbox):
    hidden = factories.make_conversation(other_inbox, contact=contact)
    url = f"contacts/{contact.pk}/conversations"
    all_ids = sorted(c["id"] for c in api("GET", url).json()["payload"])
    assert all_ids == sorted([conversation.display_id, hidden.display_id])
    rows = api.as_(tokens["agent"])("GET", url).json()["payload"]
    assert [c["id"] for c in rows] == [conversation.display_id]
    assert {"id", "inbox_id", "status"} <= set(rows[0]) and rows[0]["status"] == "open"
    assert api.as_(tokens["agent_outside"])("GET", url).json()["payload"] == []


def test_contact_inboxes(api, contact, inbox, tokens):
    data = api("POST", f"contacts/{contact.pk}/contact_inboxes", {"inbox_id": inbox.pk, "source_id": "abc"}).json()
    assert data["source_id"] == "abc" and data["inbox"]["id"] == inbox.pk
    assert_422(api("POST", f"contacts/{contact.pk}/contact_inboxes", {}), "inbox_id")
    assert api.as_(tokens["agent_outside"])("POST", f"contacts/{contact.pk}/contact_inboxes",
                                            {"inbox_id": inbox.pk}).status_code == 404
    assert ContactInbox.objects.filter(contact=contact).count() == 1


def test_labels(api, contact):
    url = f"contacts/{contact.pk}/labels"
    assert api("GET", url).json() == {"payload": []}
    assert api("POST", url, {"labels": ["VIP", "lead"]}).json() == {"payload": ["lead", "vip"]}
    assert api("POST", url, {"labels": ["lead"]}).json() == {"payload": ["lead"]}
    assert_422(api("POST", url, {"labels": [{"x": 1}]}), "labels")
    assert api("GET", url).json() == {"payload": ["lead"]}


def test_notes_crud(api, contact, admin, tokens):
    url = f"contacts/{contact.pk}/notes"
    note = api("POST", url, {"content": "Cliente antigo"}).json()
    assert note["content"] == "Cliente antigo" and note["user"]["id"] == admin.pk and type(note["id"]) is int
    assert [n["id"] for n in api("GET", url).json()] == [note["id"]]
    assert api("PATCH", f"{url}/{note['id']}", {"content": "Cliente VIP"}).json()["content"] == "Cliente VIP"
    assert api("GET", f"{url}/{note['id']}").json()["content"] == "Cliente VIP"
    assert_422(api("POST", url, {"content": "   "}), "content")
    assert_422(api("PATCH", f"{url}/{note['id']}", {}), "content")
    other = factories.make_contact(contact.account)
    assert api("GET", f"contacts/{other.pk}/notes/{note['id']}").status_code == 404
    assert api("DELETE", f"{url}/{note['id']}").status_code == 200
    assert not ContactNote.objects.exists()


def test_merge_moves_everything_atomically(api, account, contact, conversation, inbox, admin):
    mergee = factories.make_contact(account, name="Carla (WhatsApp)", phone_number="+5511900002222",
                                    identifier="5511900002222@s.whatsapp.net", custom_attributes={"a": 1})
    contact.phone_number = None
    contact.save()
    ContactInbox.objects.create(contact=mergee, inbox=inbox, source_id="5511900002222")
    theirs = factories.make_conversation(inbox, contact=mergee)
    ContactNote.objects.create(contact=mergee, user=admin, content="nota")
    ContactLabel.objects.create(contact=mergee, title="whatsapp")
    data = api("POST", "actions/contact_merge", {"base_contact_id": contact.pk,
                                                 "mergee_contact_id": str(mergee.pk)}).json()
    assert data["id"] == contact.pk and data["phone_number"] == "+5511900002222"
    assert data["identifier"] == "5511900002222@s.whatsapp.net" and data["custom_attributes"] == {"a": 1}
    assert not Contact.objects.filter(pk=mergee.pk).exists()
    theirs.refresh_from_db()
    assert theirs.contact_id == contact.pk
    assert ContactInbox.objects.get(source_id="5511900002222").contact_id == contact.pk
    assert ContactNote.objects.get().contact_id == contact.pk
    assert list(ContactLabel.objects.filter(contact=contact).values_list("title", flat=True)) == ["whatsapp"]
    assert not Message.objects.filter(sender_type="Contact", sender_id=mergee.pk).exists()
    assert_422(api("POST", "actions/contact_merge", {"base_contact_id": contact.pk,
                                                     "mergee_contact_id": contact.pk}))
    assert_422(api("POST", "actions/contact_merge", {"base_contact_id": contact.pk}), "mergee_contact_id")
    assert api("POST", "actions/contact_merge", {"base_contact_id": contact.pk,
                                                 "mergee_contact_id": 999999}).status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_merge_failure_rolls_back(api, account, contact, inbox, monkeypatch):
    mergee = factories.make_contact(account, name="Outra")
    theirs = factories.make_conversation(inbox, contact=mergee)
    from contacts import actions

    def broken_save(contact):
        from autonomia.actions import DomainError

        raise DomainError("boom")

    monkeypatch.setattr(actions, "_save", broken_save)
    assert_422(api("POST", "actions/contact_merge", {"base_contact_id": contact.pk, "mergee_contact_id": mergee.pk}))
    theirs.refresh_from_db()
    assert theirs.contact_id == mergee.pk and Contact.objects.filter(pk=mergee.pk).exists()


def test_bot_cannot_use_contacts(api, tokens, contact):
    assert api("GET", "contacts", token=tokens["bot"]).status_code == 401
    assert api("POST", "contacts", {"name": "x"}, token=tokens["bot"]).status_code == 401

