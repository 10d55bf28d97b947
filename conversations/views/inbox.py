"""The agent inbox: the five-column page, the live list, one conversation with its controls, and helpers.

Full page loads (and htmx history restores) render `conversations/inbox.html`; htmx requests get the
partial they replace. Controls answer with the conversation header; the websocket brings the rest.
"""

import re

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from autonomia.actions import DomainError
from autonomia.queries import account_members, present_user_ids, visible_teams
from autonomia.views import account_view
from contacts.queries import contact_labels
from conversations import actions
from conversations.forms import (
    SNOOZE_CHOICES,
    AssigneeForm,
    BulkForm,
    LabelsForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TeamForm,
    snooze_until,
)
from conversations.models import Attachment, Conversation
from conversations.queries import (
    ConversationFilter,
    access_conversation,
    access_message,
    assignable_members,
    conversation_page,
    folder_counts,
    previous_conversations,
    recent_notifications,
    search_canned_responses,
    thread_messages,
    unread_notification_count,
    visible_conversations,
    visible_labels,
)
from conversations.queries import conversation_row as load_row
from conversations.views.rows import DEFAULT_LABEL_COLOR, render_rows
from inboxes.queries import visible_inboxes

THREAD_PAGE = 50
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "audio/mpeg", "audio/aac", "audio/ogg",
                "audio/wav", "audio/mp4", "video/mp4", "video/quicktime", "video/3gpp", "video/webm"}


def _partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- context builders ------------------------------------------------------------------------------

def _label_colors(labels) -> dict:
    return {label.title: label.color for label in labels}


def _lookups(account_user) -> dict:
    """Labels, inboxes and teams the list and the folders both show (loaded once per page)."""
    return {"labels": list(visible_labels(account_user.account_id)), "inboxes": list(visible_inboxes(account_user)),
            "teams": list(visible_teams(account_user.account))}


def _list_context(account_user, filters: ConversationFilter, lookups: dict | None = None) -> dict:
    """Rows, counts and filter options of the list, in a fixed number of queries."""
    page = conversation_page(account_user, filters, browser=True)
    lookups = lookups or _lookups(account_user)
    inboxes, teams = lookups["inboxes"], lookups["teams"]
    rows_html = render_rows(page.conversations, _label_colors(lookups["labels"]), account_user.account_id)
    return {"page": page, "rows_html": rows_html, "filters": filters, **lookups,
            "members": list(account_members(account_user.account)),
            "title": _list_title(filters, inboxes, teams),
            "snooze_choices": SNOOZE_CHOICES}


def _list_title(f: ConversationFilter, inboxes, teams) -> str:
    if f.inbox_id:
        return next((i.name for i in inboxes if i.pk == f.inbox_id), _("Inbox"))
    if f.team_id:
        return next((t.name for t in teams if t.pk == f.team_id), _("Team"))
    if f.label:
        return f.label
    if f.conversation_type == "mention":
        return _("Mentions")
    if f.conversation_type == "unattended":
        return _("Unattended")
    return _("Conversations")


def _folders_context(account_user, filters: ConversationFilter, lookups: dict | None = None) -> dict:
    lookups = lookups or _lookups(account_user)
    counts = folder_counts(account_user, label_titles=tuple(label.title for label in lookups["labels"]))
    return {"filters": filters, "folder_counts": counts, "sidebar": counts["folders"],
            "folder_inboxes": lookups["inboxes"], "folder_teams": lookups["teams"],
            "folder_labels": [label for label in lookups["labels"] if label.show_on_sidebar]}


def _page_context(request) -> dict:
    filters = ConversationFilter.from_params(request.GET)
    au = request.account_user
    lookups = _lookups(au)
    return {**_folders_context(au, filters, lookups), **_list_context(au, filters, lookups),
            "unread_notifications": au.unread_notifications}


def _header_context(account_user, conversation: Conversation, labels=None) -> dict:
    members = assignable_members(conversation)
    online = present_user_ids(account_user.account_id, [m.user_id for m in members])
    for member in members:
        member.presence = _presence(member, online)
    labels = list(visible_labels(account_user.account_id)) if labels is None else labels
    current = sorted(conversation.label_rows.values_list("title", flat=True))
    colors = _label_colors(labels)
    return {"conversation": conversation, "account_user": account_user, "members": members,
            "assignee_member": next((m for m in members if m.user_id == conversation.assignee_id), None),
            "teams": list(visible_teams(account_user.account)), "all_labels": labels,
            "conversation_labels": [(t, colors.get(t, DEFAULT_LABEL_COLOR)) for t in current],
            "snooze_choices": SNOOZE_CHOICES, "priorities": Conversation.Priority.choices}


def _presence(member, online: set) -> str:
    """online / busy / offline as the other agents should see it (auto-offline follows the heartbeat)."""
    status = member.availability_status
    if status != "offline" and member.auto_offline and member.user_id not in online:
        return "offline"
    return status


def _contact_context(account_user, conversation: Conversation, labels=None) -> dict:
    from contacts.forms import ContactLabelsForm

    contact = conversation.contact
    labels = list(visible_labels(account_user.account_id)) if labels is None else labels
    colors = _label_colors(labels)
    titles = contact_labels(contact)
    return {"contact": contact, "conversation": conversation, "account_user": account_user,
            "contact_label_list": [(t, colors.get(t, DEFAULT_LABEL_COLOR)) for t in titles],
            "labels_form": ContactLabelsForm(contact=contact, labels=labels, current=titles,
                                             initial={"labels": titles}),
            "previous": previous_conversations(conversation, account_user)}


def _conversation_context(account_user, conversation: Conversation, form=None) -> dict:
    messages = thread_messages(conversation, limit=THREAD_PAGE)
    labels = list(visible_labels(account_user.account_id))
    return {**_header_context(account_user, conversation, labels),
            **_contact_context(account_user, conversation, labels),
            "thread": messages, "has_older": len(messages) == THREAD_PAGE,
            "form": form or ReplyForm(initial={"private": False}),
            "max_upload_bytes": settings.ATTACHMENT_MAX_BYTES}


# --- pages -----------------------------------------------------------------------------------------

@account_view
@require_GET
def inbox(request):
    """The inbox with no conversation open (htmx: the folders or the empty conversation pane)."""
    if _partial(request) and request.htmx.target == "folders":
        au = request.account_user
        return render(request, "conversations/inbox.html#folders",
                      _folders_context(au, ConversationFilter.from_params(request.GET)))
    if _partial(request) and request.htmx.target == "conversation-pane":
        return render(request, "conversations/inbox.html#empty-pane", {})
    return render(request, "conversations/inbox.html", _page_context(request))


@account_view
@require_GET
def conversation_list(request):
    """The list column (filters, tabs, rows); page > 1 returns only more rows."""
    context = _list_context(request.account_user, ConversationFilter.from_params(request.GET))
    if context["filters"].page > 1:
        return render(request, "conversations/inbox.html#conversation-rows", context)
    return render(request, "conversations/inbox.html#conversation-list", context)


@account_view
@require_GET
def conversation_detail(request, display_id):
    """Open a conversation: it is marked seen; full page on a direct load, the pane for htmx."""
    au = request.account_user
    conversation = access_conversation(au, display_id)
    actions.mark_seen(conversation, user=request.account_user.user)
    context = _conversation_context(au, conversation)
    if _partial(request):
        return render(request, "conversations/conversation.html#conversation", context)
    return render(request, "conversations/inbox.html", {**_page_context(request), **context})


@account_view
@require_GET
def conversation_row(request, display_id):
    au = request.account_user
    row = load_row(au, access_conversation(au, display_id).pk)
    return HttpResponse(render_rows([row], _label_colors(visible_labels(au.account_id)), au.account_id))


@account_view
@require_GET
def conversation_header(request, display_id):
    au = request.account_user
    return render(request, "conversations/conversation.html#conversation-header",
                  _header_context(au, access_conversation(au, display_id)))


@account_view
@require_http_methods(["GET", "POST"])
def messages(request, display_id):
    """GET: a page of the thread (older than ?before=); POST: send a reply or a private note."""
    au = request.account_user
    conversation = access_conversation(au, display_id)
    if request.method == "GET":
        return _thread_page(request, conversation)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            data = form.cleaned_data
            message = actions.send_reply(conversation, actor=au.user, content=data["content"],
                                         private=data["private"], attachments=data["attachments"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not request.htmx:
                return redirect("conversations:detail", account_id=au.account_id, display_id=display_id)
            return render(request, "conversations/conversation.html#message", {
                "message": access_message(au, conversation, message.pk), "conversation": conversation,
                "account_user": au})
    response = render(request, "conversations/conversation.html#reply-box",
                      {"form": form, "conversation": conversation, "account_user": au,
                       "max_upload_bytes": settings.ATTACHMENT_MAX_BYTES}, status=422)
    return retarget(reswap(response, "outerHTML"), "#reply-box")


def _thread_page(request, conversation: Conversation) -> HttpResponse:
    """The latest messages, or those older than ?before= (for "load earlier" and resyncs)."""
    before = request.GET.get("before", "")
    page = thread_messages(conversation, before=int(before) if before.isdigit() else None, limit=THREAD_PAGE)
    return render(request, "conversations/conversation.html#thread-page", {
        "thread": page, "conversation": conversation, "account_user": request.account_user,
        "has_older": len(page) == THREAD_PAGE})


# --- header controls -------------------------------------------------------------------------------

def _header_action(request, display_id, form_class, apply) -> HttpResponse:
    """Validate, apply one action, and answer with the fresh header (422 with the error otherwise)."""
    au = request.account_user
    conversation = access_conversation(au, display_id)
    form = form_class(request.POST, conversation=conversation)
    if form.is_valid():
        try:
            apply(conversation, form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "conversations/conversation.html#conversation-header",
                          _header_context(au, access_conversation(au, display_id)))
    context = {**_header_context(au, conversation), "header_errors": _errors(form)}
    return render(request, "conversations/conversation.html#conversation-header", context, status=422)


def _errors(form) -> list[str]:
    return [message for messages in form.errors.values() for message in messages]


@account_view
@require_POST
def change_status(request, display_id):
    return _header_action(request, display_id, StatusForm, lambda c, d: actions.change_status(
        c, actor=request.account_user.user, status=d["value"], snoozed_until=d["until"]))


@account_view
@require_POST
def assign_agent(request, display_id):
    return _header_action(request, display_id, AssigneeForm, lambda c, d: actions.assign_agent(
        c, actor=request.account_user.user, assignee=d["assignee"]))


@account_view
@require_POST
def assign_team(request, display_id):
    return _header_action(request, display_id, TeamForm, lambda c, d: actions.assign_team(
        c, actor=request.account_user.user, team=d["team"]))


@account_view
@require_POST
def set_labels(request, display_id):
    return _header_action(request, display_id, LabelsForm, lambda c, d: actions.set_labels(
        c, actor=request.account_user.user, titles=d["labels"]))


@account_view
@require_POST
def change_priority(request, display_id):
    return _header_action(request, display_id, PriorityForm, lambda c, d: actions.change_priority(
        c, actor=request.account_user.user, priority=d["value"]))


@account_view
@require_POST
def typing(request, display_id):
    """The agent started (on=1) or stopped typing; broadcast to the others watching."""
    conversation = access_conversation(request.account_user, display_id)
    yes = ("1", "true", "on")
    actions.toggle_typing(conversation, user=request.account_user.user, on=request.POST.get("on") in yes,
                          is_private=request.POST.get("private") in yes)
    return HttpResponse(status=204)


@account_view
@require_POST
def mark_seen(request, display_id):
    actions.mark_seen(access_conversation(request.account_user, display_id), user=request.account_user.user)
    return HttpResponse(status=204)


@account_view
@require_GET
def contact_panel(request, display_id):
    au = request.account_user
    return render(request, "contacts/contact_panel.html#contact-panel",
                  _contact_context(au, access_conversation(au, display_id)))


# --- bulk actions ----------------------------------------------------------------------------------

@account_view
@require_POST
def bulk_action(request):
    """Apply one action to the checked conversations, then answer with the refreshed list."""
    au = request.account_user
    form = BulkForm(request.POST)
    errors = _errors(form) if not form.is_valid() else _apply_bulk(request, form.cleaned_data)
    context = _list_context(au, ConversationFilter.from_params(request.POST))
    return render(request, "conversations/inbox.html#conversation-list", {**context, "bulk_errors": errors},
                  status=422 if errors else 200)


def _apply_bulk(request, data: dict) -> list[str]:
    au, errors = request.account_user, []
    try:
        target = _bulk_target(au, data)
    except DomainError as error:
        return [error.message]
    for conversation in visible_conversations(au).filter(display_id__in=data["ids"]).order_by("display_id"):
        try:
            _bulk_one(request.account_user.user, conversation, data, target)
        except DomainError as error:
            errors.append(f"#{conversation.display_id}: {error.message}")
    return errors


def _bulk_target(account_user, data: dict):
    """The agent or team a bulk assignment points at (None unassigns); unknown ones are refused."""
    action = data["action"]
    value = data["assignee"] if action == "assign" else data["team"] if action == "team" else "none"
    if value == "none":
        return None
    pk = int(value) if value.isdigit() else 0
    if action == "assign":
        member = account_members(account_user.account).filter(user_id=pk).first()
        target = member.user if member else None
    else:
        target = visible_teams(account_user.account).filter(pk=pk).first()
    if target is None:
        raise DomainError(_("Unknown agent or team."))
    return target


def _bulk_one(actor, conversation, data: dict, target) -> None:
    action, Status = data["action"], Conversation.Status
    if action in ("resolve", "open", "pending"):
        status = {"resolve": Status.RESOLVED, "open": Status.OPEN, "pending": Status.PENDING}[action]
        actions.change_status(conversation, actor=actor, status=status)
    elif action == "snooze":
        option = data.get("snooze") if data.get("snooze") != "custom" else "next_reply"
        actions.change_status(conversation, actor=actor, status=Status.SNOOZED,
                              snoozed_until=snooze_until(option or "next_reply"))
    elif action == "assign":
        actions.assign_agent(conversation, actor=actor, assignee=target)
    elif action == "team":
        actions.assign_team(conversation, actor=actor, team=target)
    elif action == "label":
        actions.add_labels(conversation, actor=actor, titles=[data["label"]])


# --- attachments, canned responses, mentions, notifications ----------------------------------------

@account_view
@require_GET
def attachment(request, attachment_id, name):
    """Serve a file of a conversation the agent can see; anything not safely displayable is a download."""
    au = request.account_user
    item = (Attachment.objects.filter(pk=attachment_id, account_id=au.account_id)
            .select_related("message__conversation").first())
    if item is None:
        raise Http404
    access_conversation(au, item.message.conversation.display_id)
    thumb = request.GET.get("thumb") and item.thumbnail
    stored = item.thumbnail if thumb else item.file
    if not stored:
        raise Http404
    content_type = ("image/png" if stored.name.endswith(".png") else "image/jpeg") if thumb else (
        item.content_type or "application/octet-stream")
    inline = content_type in INLINE_TYPES
    response = FileResponse(stored.open("rb"), as_attachment=not inline, filename=item.file_name or "file",
                            content_type=content_type if inline else "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


VARIABLE_RE = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")


def substitute_variables(content: str, *, contact=None, agent=None) -> str:
    """Fill {{contact.name}}, {{contact.email}}, {{contact.phone}}, {{agent.name}}...; unknown ones stay."""
    def first(name):
        return (name or "").split(" ")[0]

    values = {
        ("agent", "name"): getattr(agent, "available_name", None),
        ("agent", "first_name"): first(getattr(agent, "available_name", "")),
        ("agent", "email"): getattr(agent, "email", None),
    }
    if contact is not None:
        values.update({
            ("contact", "name"): contact.name, ("contact", "first_name"): first(contact.name),
            ("contact", "email"): contact.email or "", ("contact", "phone"): contact.phone_number or "",
            ("contact", "phone_number"): contact.phone_number or "", ("contact", "company"): contact.company_name,
        })
    return VARIABLE_RE.sub(lambda m: values.get(m.groups(), m.group(0)) or "", content)


def _conversation_param(request):
    """The conversation named by ?conversation=<display id>, when the agent may see it."""
    value = request.GET.get("conversation", "")
    return access_conversation(request.account_user, int(value)) if value.isdigit() else None


@account_view
@require_GET
def canned_search(request):
    """Canned responses matching ?q=, with variables filled for ?conversation=."""
    conversation = _conversation_param(request)
    contact = conversation.contact if conversation else None
    results = [(c, substitute_variables(c.content, contact=contact, agent=request.account_user.user))
               for c in search_canned_responses(request.account_user, request.GET.get("q", ""))]
    return render(request, "conversations/conversation.html#canned-results", {"results": results})


@account_view
@require_GET
def mention_search(request):
    """Agents who can be @mentioned in the conversation (or in the account), matching ?q=."""
    au, q = request.account_user, request.GET.get("q", "").strip().lower()[:100]
    conversation = _conversation_param(request)
    members = assignable_members(conversation) if conversation else list(account_members(au.account))
    found = [m for m in members if not q or q in m.user.available_name.lower() or q in m.user.email.lower()]
    return render(request, "conversations/conversation.html#mention-results", {"results": found[:8]})


def _notifications_context(account_user) -> dict:
    return {"notifications": recent_notifications(account_user),
            "unread_notifications": unread_notification_count(account_user), "account_user": account_user}


@account_view
@require_GET
def notifications(request):
    return render(request, "conversations/notifications.html#notification-list",
                  _notifications_context(request.account_user))


@account_view
@require_POST
def notifications_read(request):
    """Mark the given notifications (?ids or all) read; answers with the refreshed list."""
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()] or None
    actions.mark_notifications_read(request.account_user, ids=ids)
    return render(request, "conversations/notifications.html#notification-list",
                  _notifications_context(request.account_user))

