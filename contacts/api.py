"""Chatwoot-compatible contact endpoints (/api/v1/accounts/<id>/contacts…, actions/contact_merge).

Every member sees every contact of the account (as in Chatwoot); a contact's conversations are limited to
the ones the member may see, and inboxes named in a request must be visible to the member.
"""

from django.http import Http404

from autonomia.api import api_view, int_param, page_param, require_administrator, str_param, unprocessable
from contacts import actions, queries
from contacts.models import Contact, ContactNote
from contacts.queries import (access_contact, active_contacts, contact_labels, filter_contacts, search_contacts,
                              sorted_contacts, visible_contacts, with_contact_inboxes)
from contacts.serializers import contact_inbox_json, contact_json, inbox_json, note_json
from conversations.models import Conversation
from conversations.queries import FilterError, list_rows, prepare_api_conversations, visible_conversations
from conversations.serializers import conversation_json
from inboxes.models import Inbox, InboxMember

PER_PAGE = 15
FIELDS = ("name", "email", "phone_number", "identifier", "additional_attributes", "custom_attributes", "blocked",
          "location", "country_code")


def _page(request, qs) -> dict:
    page = page_param(request)
    include = request.GET.get("include_contact_inboxes", "true") != "false"
    rows = list((with_contact_inboxes(qs) if include else qs)[(page - 1) * PER_PAGE:page * PER_PAGE])
    # A page that is not full ends the results: its count needs no second query (searches are often that).
    last_page = 0 < len(rows) < PER_PAGE or (page == 1 and not rows)
    count = (page - 1) * PER_PAGE + len(rows) if last_page else qs.count()
    return {"meta": {"count": count, "current_page": page},
            "payload": [contact_json(c, contact_inboxes=c.contact_inboxes.all() if include else None)
                        for c in rows]}


def _labels_filter(request, qs):
    labels = [t.lower() for t in request.GET.getlist("labels[]") or request.GET.getlist("labels")]
    return qs.filter(label_rows__title__in=labels).distinct() if labels else qs


def _fields(data) -> dict:
    fields = {k: data[k] for k in FIELDS if k in data}
    for key in ("additional_attributes", "custom_attributes"):
        if key in fields and not isinstance(fields[key], dict):
            raise unprocessable(f"{key} must be an object", [key])
    for key in ("name", "email", "phone_number", "identifier", "location", "country_code"):
        if key in fields and fields[key] is not None and not isinstance(fields[key], str):
            raise unprocessable(f"{key} must be a string", [key])
    if "blocked" in fields:
        fields["blocked"] = fields["blocked"] in (True, "true", "1", 1)
    return fields


def _inbox(request, inbox_id: int) -> Inbox:
    qs = Inbox.objects.filter(account=request.account, pk=inbox_id)
    if not request.account_user.is_administrator:
        qs = qs.filter(pk__in=InboxMember.objects.filter(user_id=request.account_user.user_id).values("inbox_id"))
    inbox = qs.first()
    if inbox is None:
        raise Http404
    return inbox


def _one(contact) -> dict:
    contact = with_contact_inboxes(Contact.objects.filter(pk=contact.pk)).get()
    return contact_json(contact, contact_inboxes=contact.contact_inboxes.all())


@api_view(["GET", "POST"])
def contacts(request):
    """GET the list (15 per page, sort, labels[]); POST a contact (+ inbox_id, source_id → contact_inbox)."""
    if request.method == "GET":
        qs = _labels_filter(request, sorted_contacts(visible_contacts(request.account_user), request.GET.get("sort")))
        return _page(request, qs)
    data = request.data
    fields = _fields(data)
    inbox_id = int_param(data, "inbox_id")
    inbox = _inbox(request, inbox_id) if inbox_id is not None else None
    source_id = str(data.get("source_id") or "").strip() or None
    contact, contact_inbox = actions.create_contact_in_inbox(request.account, actor=request.api_actor, inbox=inbox,
                                                             source_id=source_id, **fields)
    return {"payload": {"contact": _one(contact),
                        "contact_inbox": contact_inbox_json(contact_inbox) if contact_inbox else None}}


@api_view(["GET"])
def contacts_search(request):
    """Contacts whose name, email, phone (with or without '+') or identifier contains `q`."""
    q = (request.GET.get("q") or "").strip()[:200]
    qs = search_contacts(request.account_user, q)
    if request.GET.get("sort"):
        qs = sorted_contacts(qs, request.GET.get("sort"))
    return _page(request, _labels_filter(request, qs))


@api_view(["GET"])
def contacts_active(request):
    """Contacts active now (a message from them in the last few minutes: contacts.queries.active_contacts)."""
    qs = active_contacts(request.account_user)
    if request.GET.get("sort"):
        qs = sorted_contacts(qs, request.GET.get("sort"))
    return _page(request, _labels_filter(request, qs))


@api_view(["POST"])
def contacts_filter(request):
    """Chatwoot's filter rows on standard keys and the account's contact custom attributes."""
    try:
        qs = filter_contacts(visible_contacts(request.account_user), request.data.get("payload"),
                             account_id=request.account.pk)
    except FilterError as error:
        raise unprocessable(error.message, [error.attribute]) from None
    return _page(request, sorted_contacts(qs, request.GET.get("sort")))


@api_view(["POST"])
def contacts_import(request):
    """Administrators: multipart `import_file` (CSV), processed in the background; the body is empty."""
    require_administrator(request)
    upload = request.FILES.get("import_file")
    if upload is None:
        raise unprocessable("import_file is required (a CSV file)", ["import_file"])
    actions.start_contact_import(request.account, actor=request.api_actor, import_file=upload)
    return None


def _column_names(data) -> list[str] | None:
    value = data.get("column_names")
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",") if name.strip()]
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise unprocessable("column_names must be a list of column names", ["column_names"])
    return value


@api_view(["POST"])
def contacts_export(request):
    """Administrators: a CSV of the contacts (`column_names`, optional filter `payload` or `label`) emailed to
    the caller as a signed, expiring link; the body is empty."""
    require_administrator(request)
    payload = request.data.get("payload")
    if payload not in (None, "", []) and not isinstance(payload, list):
        raise unprocessable("payload must be a list of filter conditions", ["payload"])
    actions.request_contact_export(request.account, actor=request.api_actor, column_names=_column_names(request.data),
                                   payload=payload or None, label=str_param(request.data, "label"))
    return None


@api_view(["GET", "PUT", "PATCH", "DELETE"])
def contact_detail(request, contact_id):
    contact = access_contact(request.account_user, contact_id)
    if request.method == "DELETE":
        require_administrator(request)
        actions.delete_contact(contact, actor=request.api_actor)
        return None
    if request.method in ("PUT", "PATCH"):
        contact = actions.update_contact(contact, actor=request.api_actor, **_fields(request.data))
    return {"payload": _one(contact)}


@api_view(["GET"])
def contact_conversations(request, contact_id):
    """The contact's conversations the member may see, latest activity first."""
    contact = access_contact(request.account_user, contact_id)
    ids = visible_conversations(request.account_user).filter(contact=contact).values("id")
    rows = list(list_rows(Conversation.objects.filter(id__in=ids)).order_by("-last_activity_at", "-id")[:100])
    return {"payload": [conversation_json(c) for c in prepare_api_conversations(rows)]}


@api_view(["GET"])
def contactable_inboxes(request, contact_id):
    """The inboxes the member may use to start a conversation with the contact, each with its source_id."""
    contact = access_contact(request.account_user, contact_id)
    return {"payload": [{"source_id": source_id, "inbox": inbox_json(inbox)}
                        for source_id, inbox in queries.contactable_inboxes(request.account_user, contact)]}


@api_view(["POST"])
def contact_inboxes(request, contact_id):
    """Give the contact an identity in an inbox (inbox_id, source_id)."""
    contact = access_contact(request.account_user, contact_id)
    inbox_id = int_param(request.data, "inbox_id")
    if inbox_id is None:
        raise unprocessable("inbox_id is required", ["inbox_id"])
    inbox = _inbox(request, inbox_id)
    source_id = str(request.data.get("source_id") or "").strip() or None
    contact_inbox = actions.get_or_create_contact_inbox(contact, inbox, source_id=source_id)
    return contact_inbox_json(contact_inbox)


@api_view(["GET", "POST"])
def labels(request, contact_id):
    """GET the titles; POST labels[] replaces them."""
    contact = access_contact(request.account_user, contact_id)
    if request.method == "POST":
        titles = request.data.get("labels", [])
        titles = titles if isinstance(titles, list) else [titles]
        if not all(isinstance(t, str) for t in titles):
            raise unprocessable("labels must be a list of strings", ["labels"])
        actions.set_contact_labels(contact, actor=request.api_actor, titles=titles)
    return {"payload": contact_labels(contact)}


def _note(contact, note_id) -> ContactNote:
    note = ContactNote.objects.select_related("user", "contact").filter(contact=contact, pk=note_id).first()
    if note is None:
        raise Http404
    return note


@api_view(["GET", "POST"])
def notes(request, contact_id):
    contact = access_contact(request.account_user, contact_id)
    if request.method == "POST":
        content = request.data.get("content")
        if not isinstance(content, str):
            raise unprocessable("content is required", ["content"])
        note = actions.add_contact_note(contact, actor=request.api_actor, content=content)
        return note_json(note)
    return [note_json(n) for n in contact.notes.select_related("user").order_by("-created_at", "-id")]


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def note_detail(request, contact_id, note_id):
    contact = access_contact(request.account_user, contact_id)
    note = _note(contact, note_id)
    if request.method == "DELETE":
        actions.delete_contact_note(note, actor=request.api_actor)
        return None
    if request.method in ("PATCH", "PUT"):
        content = request.data.get("content")
        if not isinstance(content, str):
            raise unprocessable("content is required", ["content"])
        note = actions.update_contact_note(note, actor=request.api_actor, content=content)
    return note_json(note)


@api_view(["POST"])
def contact_merge(request):
    """Merge mergee_contact_id into base_contact_id (atomic); answers the base contact."""
    base_id, mergee_id = int_param(request.data, "base_contact_id"), int_param(request.data, "mergee_contact_id")
    if base_id is None or mergee_id is None:
        raise unprocessable("base_contact_id and mergee_contact_id are required",
                            ["base_contact_id", "mergee_contact_id"])
    base = access_contact(request.account_user, base_id)
    mergee = access_contact(request.account_user, mergee_id)
    base = actions.merge_contacts(base, mergee, actor=request.api_actor)
    return _one(base)

