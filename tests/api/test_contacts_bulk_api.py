"""Contacts API gaps: active, import, export, contactable_inboxes, custom-attribute filters (chatwoot-compat §5)."""

import datetime as dt
import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from automations.models import CustomAttributeDefinition
from contacts.models import Contact, ContactExport, ContactImport, ContactInbox
from inboxes.models import Inbox
from tests import factories
from tests.api.conftest import assert_422, assert_hidden

pytestmark = pytest.mark.django_db


def csv_file(text: str, name: str = "contatos.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# --- GET contacts/active -------------------------------------------------------------------

def test_active_lists_contacts_with_a_message_in_the_last_minutes(api, account, inbox, tokens, other_account):
    talking = factories.make_conversation(inbox, contact=factories.make_contact(account, name="Falando")).contact
    quiet = factories.make_contact(account, name="Quieta", last_activity_at=timezone.now() - dt.timedelta(hours=1))
    factories.make_contact(account, name="Nunca")
    body = api("GET", "contacts/active").json()
    assert body["meta"] == {"count": 1, "current_page": 1}
    assert [c["id"] for c in body["payload"]] == [talking.pk]
    assert body["payload"][0]["contact_inboxes"] == []  # the Contact shape of the list
    # an agent sees them too (every member sees every contact, as in Chatwoot)
    assert [c["id"] for c in api.as_(tokens["agent"])("GET", "contacts/active").json()["payload"]] == [talking.pk]
    assert quiet.pk not in [c["id"] for c in body["payload"]]
    assert_hidden(api, tokens, "GET", "contacts/active", outside=False)  # another account's token: 404
    assert api("GET", "contacts/active", token=tokens["outsider"], account_id=other_account.pk).json()[
        "payload"] == []  # and in its own account, none of ours
    assert api("GET", "contacts/active", token=tokens["bot"]).status_code == 401


# --- GET contacts/{id}/contactable_inboxes -------------------------------------------------

def test_contactable_inboxes_follow_chatwoots_rules_per_channel(api, account, contact, inbox, bot_inbox, tokens):
    ContactInbox.objects.create(contact=contact, inbox=inbox, source_id="api-carla")
    fresh_api = factories.make_inbox(account, name="API 2")
    email = factories.make_inbox(account, name="E-mail", channel_type=Inbox.ChannelType.EMAIL)
    whatsapp = factories.make_inbox(account, name="WhatsApp", channel_type=Inbox.ChannelType.WHATSAPP)
    factories.make_inbox(account, name="Instagram", channel_type=Inbox.ChannelType.INSTAGRAM)
    site = factories.make_inbox(account, name="Site", channel_type=Inbox.ChannelType.WEB_WIDGET)
    ContactInbox.objects.create(contact=contact, inbox=site, source_id="widget-uuid")
    body = api("GET", f"contacts/{contact.pk}/contactable_inboxes").json()
    found = {row["inbox"]["id"]: row["source_id"] for row in body["payload"]}
    assert found[inbox.pk] == "api-carla"  # the contact's identity there
    assert re.fullmatch(r"[0-9a-f-]{36}", found[fresh_api.pk])  # a new UUID, as Chatwoot
    assert found[email.pk] == "carla@cliente.com"
    assert found[whatsapp.pk] == "5511912345678"  # without '+'
    assert found[site.pk] == "widget-uuid"  # an identity without conversations
    assert re.fullmatch(r"[0-9a-f-]{36}", found[bot_inbox.pk])
    assert len(found) == 6  # not Instagram: it cannot start a conversation
    assert {"source_id", "inbox"} == set(body["payload"][0])
    assert body["payload"][0]["inbox"]["channel_type"]
    # the widget identity with a conversation is no longer offered; a contact without email / phone loses those
    factories.make_conversation(site, contact=contact, messages=0)  # uses the contact's identity there
    bare = factories.make_contact(account, name="Sem dados")
    bare_found = {row["inbox"]["id"] for row in api("GET", f"contacts/{bare.pk}/contactable_inboxes").json()[
        "payload"]}
    assert bare_found == {inbox.pk, fresh_api.pk, bot_inbox.pk}  # API inboxes only
    assert site.pk not in {row["inbox"]["id"] for row in api(
        "GET", f"contacts/{contact.pk}/contactable_inboxes").json()["payload"]}
    # an agent sees only the inboxes they work
    agent_rows = api.as_(tokens["agent"])("GET", f"contacts/{contact.pk}/contactable_inboxes").json()["payload"]
    assert [row["inbox"]["id"] for row in agent_rows] == sorted([inbox.pk, bot_inbox.pk])


def test_contactable_inboxes_hidden_from_outsiders(api, tokens, contact, other_account):
    assert_hidden(api, tokens, "GET", f"contacts/{contact.pk}/contactable_inboxes",
                  other_account_id=other_account.pk, outside=False)
    assert api("GET", "contacts/999999/contactable_inboxes").status_code == 404


# --- POST contacts/filter with custom attributes ------------------------------------------------

def define(account, key, display_type, model=CustomAttributeDefinition.AttributeModel.CONTACT):
    return CustomAttributeDefinition.objects.create(account=account, attribute_display_name=key, attribute_key=key,
                                                    attribute_display_type=display_type, attribute_model=model)


def rows(key, operator, *values, query_operator=None):
    return {"payload": [{"attribute_key": key, "filter_operator": operator, "values": list(values),
                         "query_operator": query_operator}]}


def test_filter_by_custom_attributes_of_each_type(api, account):
    kinds = CustomAttributeDefinition.DisplayType
    define(account, "plano", kinds.LIST)
    define(account, "pedidos", kinds.NUMBER)
    define(account, "cliente_desde", kinds.DATE)
    define(account, "vip", kinds.CHECKBOX)
    ouro = factories.make_contact(account, name="Ouro", custom_attributes={
        "plano": "Ouro", "pedidos": 12, "cliente_desde": "2024-01-10", "vip": True})
    prata = factories.make_contact(account, name="Prata", custom_attributes={
        "plano": "prata", "pedidos": "3", "cliente_desde": "2025-06-01T10:00:00Z", "vip": False})
    estranho = factories.make_contact(account, name="Estranho", custom_attributes={
        "plano": "", "pedidos": "muitos", "cliente_desde": "ontem"})
    nada = factories.make_contact(account, name="Nada")

    def ids(body):
        response = api("POST", "contacts/filter", body)
        assert response.status_code == 200, response.content
        return sorted(c["id"] for c in response.json()["payload"])

    assert ids(rows("plano", "equal_to", "OURO")) == [ouro.pk]  # text compares case-insensitively
    assert ids(rows("plano", "not_equal_to", "ouro")) == sorted([prata.pk, estranho.pk, nada.pk])
    assert ids(rows("plano", "contains", "RAT")) == [prata.pk]
    assert ids(rows("plano", "does_not_contain", "rat")) == sorted([ouro.pk, estranho.pk, nada.pk])
    assert ids(rows("plano", "is_present")) == sorted([ouro.pk, prata.pk])
    assert ids(rows("plano", "is_not_present")) == sorted([estranho.pk, nada.pk])
    assert ids(rows("pedidos", "is_greater_than", 5)) == [ouro.pk]  # "muitos" is not a number: never an SQL error
    assert ids(rows("pedidos", "is_less_than", "5")) == [prata.pk]
    assert ids(rows("pedidos", "equal_to", 3)) == [prata.pk]
    assert ids(rows("cliente_desde", "is_less_than", "2025-01-01")) == [ouro.pk]
    assert ids(rows("cliente_desde", "is_greater_than", "2025-01-01")) == [prata.pk]
    assert ids(rows("cliente_desde", "equal_to", "2025-06-01")) == [prata.pk]
    assert ids(rows("cliente_desde", "days_before", 30)) == sorted([ouro.pk, prata.pk])
    assert ids(rows("vip", "equal_to", True)) == [ouro.pk]
    assert ids(rows("vip", "equal_to", "false")) == [prata.pk]
    # custom and standard keys chain with query_operator
    assert ids({"payload": [
        {"attribute_key": "plano", "filter_operator": "equal_to", "values": ["ouro"], "query_operator": "or"},
        {"attribute_key": "name", "filter_operator": "equal_to", "values": ["Nada"]}]}) == sorted([ouro.pk, nada.pk])


def test_filter_custom_attribute_errors_answer_422(api, account, other_account):
    kinds = CustomAttributeDefinition.DisplayType
    define(account, "pedidos", kinds.NUMBER)
    define(account, "vip", kinds.CHECKBOX)
    define(account, "canal", kinds.TEXT, model=CustomAttributeDefinition.AttributeModel.CONVERSATION)
    define(other_account, "segredo", kinds.TEXT)
    assert_422(api("POST", "contacts/filter", rows("pedidos", "is_greater_than", "abc")), "values")
    assert_422(api("POST", "contacts/filter", rows("pedidos", "contains", "1")), "filter_operator")
    assert_422(api("POST", "contacts/filter", rows("vip", "is_greater_than", 1)), "filter_operator")
    assert_422(api("POST", "contacts/filter", rows("canal", "equal_to", "x")), "attribute_key")  # conversation attr
    assert_422(api("POST", "contacts/filter", rows("segredo", "equal_to", "x")), "attribute_key")  # other account
    assert_422(api("POST", "contacts/filter", rows("pedidos", "days_before", 3)), "filter_operator")


# --- POST contacts/import ------------------------------------------------------------------

def test_import_creates_updates_and_reports_bad_rows(api, account, admin, contact,
                                                     django_capture_on_commit_callbacks):
    define(account, "pedidos", CustomAttributeDefinition.DisplayType.NUMBER)
    bruno = factories.make_contact(account, name="Bruno", phone_number="+5511900001111")
    text = ("name,email,phone_number,identifier,company,city,plano,pedidos\n"
            "Ana Souza,ANA@x.com,11 98765-4321,,ACME,Recife,ouro,7\n"
            "Carla Atualizada,carla@cliente.com,,crm-1,,,prata,\n"  # matches the existing contact by email
            "Sem Email,not-an-email,,,,,,\n"
            "Telefone Ruim,,abc,,,,,\n"
            "Pedidos Ruins,p@x.com,,,,,,muitos\n"
            ",,,,,,,\n"  # a blank line is skipped
            "Conflito,carla@cliente.com,+5511900001111,,,,,\n")  # found by email; the phone is Bruno's
    with django_capture_on_commit_callbacks(execute=True):
        response = api("POST", "contacts/import", multipart={"import_file": csv_file(text)})
    assert response.status_code == 200 and response.content == b""
    job = ContactImport.objects.get()
    assert job.status == ContactImport.Status.COMPLETED and job.user_id == admin.pk
    assert (job.total_records, job.processed_records, job.created_records, job.updated_records) == (6, 6, 1, 1)
    ana = Contact.objects.get(email="ana@x.com")
    assert ana.phone_number == "+11987654321" and ana.account_id == account.pk
    assert ana.additional_attributes == {"company_name": "ACME", "city": "Recife"}
    assert ana.custom_attributes == {"plano": "ouro", "pedidos": 7}  # typed by the attribute's definition
    contact.refresh_from_db()
    assert contact.name == "Carla Atualizada" and contact.identifier == "crm-1"
    assert contact.phone_number == "+5511912345678" and contact.custom_attributes == {"plano": "prata"}
    bruno.refresh_from_db()
    assert bruno.name == "Bruno" and Contact.objects.count() == 3
    failures = {dict(f["row"])["name"]: (f["line"], f["message"]) for f in job.failed_rows}
    assert set(failures) == {"Sem Email", "Telefone Ruim", "Pedidos Ruins", "Conflito"}
    assert failures["Sem Email"][0] == 4 and failures["Conflito"][0] == 8
    [email] = mail.outbox
    assert email.to == ["admin@example.com"] and "1" in email.body
    [(name, content, kind)] = email.attachments
    assert name == "rejected-contacts.csv" and kind == "text/csv"
    text = content if isinstance(content, str) else content.decode("utf-8-sig")  # Django decodes text/* parts
    assert "Telefone Ruim" in text and text.lstrip("\ufeff").startswith("line,name,email,")


def test_import_task_is_idempotent_and_resumes(api, account, admin, django_capture_on_commit_callbacks, monkeypatch):
    from contacts import actions
    from contacts.tasks import process_contact_import_task

    monkeypatch.setattr(actions, "IMPORT_BATCH", 2)
    text = "name,email\n" + "".join(f"Pessoa {i},p{i}@x.com\n" for i in range(5))
    with django_capture_on_commit_callbacks(execute=False):  # the upload only: nothing processed yet
        assert api("POST", "contacts/import", multipart={"import_file": csv_file(text)}).status_code == 200
    job = ContactImport.objects.get()
    assert job.status == ContactImport.Status.PENDING and not Contact.objects.filter(email__endswith="@x.com").exists()
    ContactImport.objects.filter(pk=job.pk).update(status=ContactImport.Status.PROCESSING, processed_records=2)
    process_contact_import_task(job.pk)  # a redelivered task after a crash: resumes at row 3
    job.refresh_from_db()
    assert job.status == ContactImport.Status.COMPLETED and job.processed_records == 5 and job.created_records == 3
    assert sorted(Contact.objects.filter(email__endswith="@x.com").values_list("email", flat=True)) == [
        "p2@x.com", "p3@x.com", "p4@x.com"]
    process_contact_import_task(job.pk)  # once more: nothing changes
    job.refresh_from_db()
    assert job.created_records == 3 and Contact.objects.filter(email__endswith="@x.com").count() == 3


def test_import_refuses_bad_files_and_writes_nothing(api, tokens, other_account):
    def refused(files, attribute="import_file"):
        assert_422(api("POST", "contacts/import", multipart=files), attribute)

    refused({})
    refused({"import_file": csv_file("")})
    refused({"import_file": csv_file("shoe_size,colour\n42,red\n")})  # no known column
    refused({"import_file": csv_file("name,email\n")})  # no rows
    refused({"import_file": SimpleUploadedFile("x.csv", b"name\n\xff\xfe\x00bad", content_type="text/csv")})
    assert api("POST", "contacts/import", {"import_file": "name\nAna"}).status_code == 422  # JSON, not a file
    assert not ContactImport.objects.exists() and not Contact.objects.exists()
    # administrators only; outsiders and other accounts' tokens get 404
    assert api.as_(tokens["agent"])("POST", "contacts/import", multipart={
        "import_file": csv_file("name\nAna\n")}).status_code == 401
    assert_hidden(api, tokens, "POST", "contacts/import", outside=False)
    assert api("POST", "contacts/import", multipart={"import_file": csv_file("name\nAna\n")},
               token=tokens["outsider"]).status_code == 404
    assert not ContactImport.objects.exists()


# --- POST contacts/export ------------------------------------------------------------------

def test_export_emails_a_signed_link_to_the_csv(api, account, admin, contact, admin_client,
                                                django_capture_on_commit_callbacks):
    from contacts.models import ContactLabel

    other = factories.make_contact(account, name="=HYPERLINK(\"http://x\")", email="formula@x.com")
    ContactLabel.objects.create(contact=other, title="vip")
    with django_capture_on_commit_callbacks(execute=True):
        response = api("POST", "contacts/export", {"column_names": ["id", "name", "phone_number", "custom_attributes"]})
    assert response.status_code == 200 and response.content == b""
    export = ContactExport.objects.get()
    assert export.status == ContactExport.Status.READY and export.row_count == 2 and export.emailed_at
    [email] = mail.outbox
    assert email.to == ["admin@example.com"]
    link = re.search(r"https?://\S+/contacts/exports/\S+/", email.body).group(0)
    path = "/" + link.split("/", 3)[3]
    download = admin_client.get(path)
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    assert "attachment" in download["Content-Disposition"]
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "id,name,phone_number,custom_attributes"
    assert f"{contact.pk},Carla Cliente,+5511912345678,{{}}" in lines
    assert "'=HYPERLINK" in text  # a formula is neutralised for spreadsheets
    # filtered by label, default columns
    with django_capture_on_commit_callbacks(execute=True):
        assert api("POST", "contacts/export", {"label": "VIP"}).status_code == 200
    labelled = ContactExport.objects.latest("id")
    assert labelled.row_count == 1 and labelled.column_names == ["id", "name", "email", "phone_number"]
    # filtered by a filter payload
    with django_capture_on_commit_callbacks(execute=True):
        assert api("POST", "contacts/export", rows("email", "contains", "cliente")).status_code == 200
    assert ContactExport.objects.latest("id").row_count == 1


def test_export_link_is_tenant_checked_and_expires(api, account, admin, agent, agent_client, admin_client,
                                                    outsider_client, other_account, tokens,
                                                    django_capture_on_commit_callbacks):
    from django.core import signing

    from contacts.queries import EXPORT_SALT, export_download_url

    with django_capture_on_commit_callbacks(execute=True):
        api("POST", "contacts/export", {})
    export = ContactExport.objects.get()
    path = "/" + export_download_url(export).split("/", 3)[3]
    assert outsider_client.get(path).status_code == 404  # another account's user
    assert agent_client.get(path).status_code == 404  # a member who did not ask for it (not an administrator)
    assert admin_client.get(path).status_code == 200
    # the same signed token under another account's URL
    other_path = path.replace(f"/accounts/{account.pk}/", f"/accounts/{other_account.pk}/")
    assert outsider_client.get(other_path).status_code == 404
    # tampered and expired links
    assert admin_client.get(path.replace("/exports/", "/exports/x")).status_code == 410
    token = path.split("/")[-2]
    assert signing.loads(token, salt=EXPORT_SALT) == [export.pk, account.pk]
    real_time = time.time
    with mock.patch("time.time", lambda: real_time() + 8 * 86400):  # 8 days later: past the 7-day validity
        assert admin_client.get(path).status_code == 410
    # unauthenticated: to the login page
    from django.test import Client

    assert Client().get(path).status_code == 302


def test_export_bad_input_answers_422_and_writes_nothing(api, tokens, other_account):
    assert_422(api("POST", "contacts/export", {"column_names": ["id", "password"]}), "column_names")
    assert_422(api("POST", "contacts/export", {"column_names": [1, 2]}), "column_names")
    assert_422(api("POST", "contacts/export", {"payload": {"attribute_key": "name"}}), "payload")
    assert_422(api("POST", "contacts/export", rows("shoe_size", "equal_to", 1)), "attribute_key")
    assert_422(api("POST", "contacts/export", {"label": {"x": 1}}), "label")
    assert api.as_(tokens["agent"])("POST", "contacts/export", {}).status_code == 401
    assert_hidden(api, tokens, "POST", "contacts/export", {}, outside=False)
    assert not ContactExport.objects.exists() and not mail.outbox


def test_import_whose_file_is_gone_fails_and_tells_the_uploader(api, django_capture_on_commit_callbacks):
    from contacts.tasks import process_contact_import_task

    with django_capture_on_commit_callbacks(execute=False):
        assert api("POST", "contacts/import", multipart={"import_file": csv_file("name\nAna\n")}).status_code == 200
    job = ContactImport.objects.get()
    job.import_file.storage.delete(job.import_file.name)  # e.g. media lost between the upload and the worker
    with django_capture_on_commit_callbacks(execute=True):
        process_contact_import_task(job.pk)
    job.refresh_from_db()
    assert job.status == ContactImport.Status.FAILED and not Contact.objects.exists()
    [email] = mail.outbox
    assert email.to == ["admin@example.com"] and not email.attachments
