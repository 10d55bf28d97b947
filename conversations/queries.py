"""Reads and permission checks for conversations: who sees what, the list with its folders and counts."""

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
import datetime as dt

from django.core.cache import cache
from django.db.models import (Case, Count, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value,
                              When, prefetch_related_objects)
from django.db.models.functions import Coalesce
from django.http import Http404

from autonomia.models import AccountUser
from conversations.models import Conversation, ConversationLabel, Label, Mention, Message, Notification
from inboxes.models import InboxMember

logger = logging.getLogger(__name__)
Status = Conversation.Status
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

SORTS = {
    "last_activity_at_desc": ("-last_activity_at", "-id"),
    "last_activity_at_asc": ("last_activity_at", "id"),
    "created_at_desc": ("-created_at", "-id"),
    "created_at_asc": ("created_at", "id"),
    "priority_desc": ("-priority_rank", "-last_activity_at", "-id"),
    "priority_asc": ("priority_rank", "-last_activity_at", "-id"),
    "waiting_since_asc": ("waiting_rank", "waiting_since", "-id"),
    "waiting_since_desc": ("-waiting_since", "-last_activity_at", "-id"),
}
STATUSES = {"open": Status.OPEN, "resolved": Status.RESOLVED, "pending": Status.PENDING, "snoozed": Status.SNOOZED}


def visible_conversations(account_user: AccountUser) -> QuerySet[Conversation]:
    """Conversations the member may see: all for administrators, their inboxes' for agents."""
    qs = Conversation.objects.filter(account_id=account_user.account_id)
    if not account_user.is_administrator:
        qs = qs.filter(inbox_id__in=InboxMember.objects.filter(user_id=account_user.user_id).values("inbox_id"))
    return qs


def access_conversation(account_user: AccountUser, display_id: int) -> Conversation:
    """The conversation with this display id if the member may see it, else 404."""
    try:
        return visible_conversations(account_user).select_related(
            "inbox", "contact", "assignee", "team", "contact_inbox", "account"
        ).get(display_id=display_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_see_conversation(account_user: AccountUser, conversation: Conversation) -> bool:
    """Whether the member may see this (already loaded) conversation."""
    if conversation.account_id != account_user.account_id:
        return False
    return account_user.is_administrator or InboxMember.objects.filter(
        inbox_id=conversation.inbox_id, user_id=account_user.user_id).exists()


def viewer_ids(conversation: Conversation) -> set[int]:
    """User ids allowed to see the conversation now: inbox members plus administrators."""
    members = InboxMember.objects.filter(inbox_id=conversation.inbox_id).values_list("user_id", flat=True)
    admins = AccountUser.objects.filter(account_id=conversation.account_id,
                                        role=AccountUser.Role.ADMINISTRATOR).values_list("user_id", flat=True)
    return set(members.union(admins))  # one query: this runs for every event of every conversation


@dataclass
class ConversationFilter:
    """What the agent picked in the folders and filter bar."""

    assignee_type: str = "all"  # me | unassigned | assigned | all
    status: str = "open"  # open | resolved | pending | snoozed | all
    inbox_id: int | None = None
    team_id: int | None = None
    label: str | None = None
    labels: tuple = ()  # the API's labels[]: any of these titles
    priority: str | None = None  # low | medium | high | urgent | none
    conversation_type: str | None = None  # mention | participating | unattended
    q: str = ""
    sort_by: str = "last_activity_at_desc"
    page: int = 1
    per_page: int = field(default_factory=lambda: settings.CONVERSATION_RESULTS_PER_PAGE)

    @classmethod
    def from_params(cls, params) -> "ConversationFilter":
        """Parse query parameters, ignoring values that are not allowed (never raw SQL)."""
        def to_int(name):
            try:
                return int(params.get(name)) if params.get(name) else None
            except ValueError:
                return None

        assignee_type = params.get("assignee_type", "all")
        status = params.get("status", "open")
        sort_by = params.get("sort_by", "last_activity_at_desc")
        priority = params.get("priority") or None
        return cls(
            assignee_type=assignee_type if assignee_type in {"me", "unassigned", "assigned", "all"} else "all",
            status=status if status in {*STATUSES, "all"} else "open",
            inbox_id=to_int("inbox_id"),
            team_id=to_int("team_id"),
            label=(params.get("label") or "").strip().lower() or None,
            priority=priority if priority in {"low", "medium", "high", "urgent", "none"} else None,
            conversation_type=params.get("conversation_type") if params.get("conversation_type") in {
                "mention", "participating", "unattended"} else None,
            q=(params.get("q") or "").strip()[:200],
            sort_by=sort_by if sort_by in SORTS else "last_activity_at_desc",
            page=max(1, min(to_int("page") or 1, 10_000)),
        )

    def as_params(self, **overrides) -> dict:
        data = {
            "assignee_type": self.assignee_type, "status": self.status, "inbox_id": self.inbox_id,
            "team_id": self.team_id, "label": self.label, "priority": self.priority,
            "conversation_type": self.conversation_type, "q": self.q, "sort_by": self.sort_by,
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v not in (None, "")}


def _apply_scope(qs: QuerySet, f: ConversationFilter, account_user: AccountUser) -> QuerySet:
    """Everything but status and assignee: the folder (inbox, team, label, mention) and search."""
    if f.inbox_id:
        qs = qs.filter(inbox_id=f.inbox_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.label:
        qs = qs.filter(id__in=ConversationLabel.objects.filter(title=f.label).values("conversation_id"))
    if f.labels:
        qs = qs.filter(id__in=ConversationLabel.objects.filter(title__in=f.labels).values("conversation_id"))
    if f.priority:
        qs = qs.filter(priority__isnull=True) if f.priority == "none" else qs.filter(
            priority=Conversation.Priority[f.priority.upper()])
    if f.conversation_type == "mention":
        qs = qs.filter(id__in=Mention.objects.filter(user_id=account_user.user_id).values("conversation_id"))
    elif f.conversation_type == "participating":
        qs = qs.filter(participants__user_id=account_user.user_id)
    elif f.conversation_type == "unattended":
        qs = qs.filter(Q(first_reply_created_at__isnull=True) | Q(waiting_since__isnull=False))
    if f.q:
        qs = _search(qs, f.q, account_user.account_id)
    return qs


def _search(qs: QuerySet, q: str, account_id: int) -> QuerySet:
    """Match the contact's name, email or phone, or the conversation number.

    The matching contacts come from a subquery the pg_trgm indexes on contacts serve; a join with ORs across
    it would test the contact of every conversation the member can see (45k for an agent on the bench data).
    """
    from contacts.models import Contact

    contacts = Contact.objects.filter(account_id=account_id).filter(
        Q(name__icontains=q) | Q(email__icontains=q) | Q(phone_number__icontains=q)).values("id")
    cond = Q(contact_id__in=contacts)
    if q.lstrip("#").isdigit():
        cond |= Q(display_id=int(q.lstrip("#")))
    return qs.filter(cond)


def _apply_assignee(qs: QuerySet, assignee_type: str, user_id: int) -> QuerySet:
    if assignee_type == "me":
        return qs.filter(assignee_id=user_id)
    if assignee_type == "unassigned":
        return qs.filter(assignee__isnull=True)
    if assignee_type == "assigned":
        return qs.filter(assignee__isnull=False)
    return qs


# What a row of the browser list shows, read as plain dicts (`browser_rows`): building ~700 model instances for a
# 100-row page cost more CPU than the query itself; only the last message's "deleted" flag is read from its JSON.
BROWSER_ROW_FIELDS = (
    "id", "display_id", "status", "priority", "last_activity_at", "assignee_id", "last_message_id",
    "contact_id", "contact__name", "contact__email", "contact__phone_number",
    "inbox__name", "inbox__channel_type",
    "assignee__name", "assignee__display_name", "assignee__email",
    "last_message__content", "last_message__private", "last_message__message_type",
    "last_message__content_attributes__deleted", "unread_count",
)


def _unread_count() -> Coalesce:
    return Coalesce(Subquery(
        Message.objects.filter(
            conversation_id=OuterRef("pk"), message_type=Message.MessageType.INCOMING,
            created_at__gt=Coalesce(OuterRef("agent_last_seen_at"), Value(EPOCH)),
        ).order_by().values("conversation_id").annotate(c=Count("id")).values("c")[:1]
    ), 0)


def list_rows(qs: QuerySet) -> QuerySet:
    """Load everything a list row shows (API shapes) in a fixed number of queries, whatever the page size."""
    labels = ConversationLabel.objects.order_by("title")
    qs = qs.select_related("contact", "inbox", "assignee", "team", "last_message")
    return qs.prefetch_related(Prefetch("label_rows", queryset=labels)).annotate(unread_count=_unread_count())


def browser_rows(qs: QuerySet) -> list[dict]:
    """The inbox list's rows as dicts of BROWSER_ROW_FIELDS plus `labels` (titles in order), in two queries."""
    rows = list(qs.annotate(unread_count=_unread_count()).values(*BROWSER_ROW_FIELDS))
    titles: dict[int, list[str]] = {}
    if rows:
        for conversation_id, title in ConversationLabel.objects.filter(
                conversation_id__in=[r["id"] for r in rows]).order_by("title").values_list("conversation_id", "title"):
            titles.setdefault(conversation_id, []).append(title)
    for row in rows:
        row["labels"] = titles.get(row["id"], [])
    return rows


@dataclass
class ConversationPage:
    conversations: list
    counts: dict  # mine / unassigned / all (in the chosen status and folder)
    has_next: bool
    page: int


def conversation_page(account_user: AccountUser, f: ConversationFilter, *, browser: bool = False) -> ConversationPage:
    """One page of the list and the mine / unassigned / all counts, in a constant number of queries.

    Rows are model instances (list_rows), or with `browser=True` the inbox list's dicts (browser_rows)."""
    scoped = _apply_scope(visible_conversations(account_user), f, account_user)
    if f.status != "all":
        scoped = scoped.filter(status=STATUSES[f.status])
    uid = account_user.user_id
    counts = scoped.order_by().aggregate(
        mine=Count("id", filter=Q(assignee_id=uid)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        assigned=Count("id", filter=Q(assignee__isnull=False)),
        all=Count("id"),
    )
    qs = _sorted(_apply_assignee(scoped, f.assignee_type, uid), f.sort_by)
    start = (f.page - 1) * f.per_page
    # Page the ids first (an index-only scan), then join contact, inbox, assignee, team, last message and
    # the unread count for that page only, not for every row an offset skips; still one query.
    page_ids = qs.values("id")[start:start + f.per_page + 1]
    page = _sorted(Conversation.objects.filter(id__in=page_ids), f.sort_by)
    rows = browser_rows(page) if browser else list(list_rows(page))
    return ConversationPage(rows[:f.per_page], counts, len(rows) > f.per_page, f.page)


def _sorted(qs: QuerySet, sort_by: str) -> QuerySet:
    """Order by an allow-listed sort; conversations without priority / not waiting go last."""
    if sort_by.startswith("priority"):
        qs = qs.annotate(priority_rank=Coalesce("priority", Value(-1)))
    if sort_by == "waiting_since_asc":
        qs = qs.annotate(waiting_rank=Case(When(waiting_since__isnull=True, then=Value(1)), default=Value(0),
                                           output_field=IntegerField()))
    return qs.order_by(*SORTS[sort_by])


def conversation_row(account_user: AccountUser, conversation_id: int) -> dict | None:
    """One row of the inbox list (as browser_rows) by primary key, if still visible (for live updates)."""
    rows = browser_rows(visible_conversations(account_user).filter(pk=conversation_id))
    return rows[0] if rows else None


FOLDER_LABELS_SECONDS = 120


def folder_counts(account_user: AccountUser, *, label_titles: tuple = ()) -> dict:
    """The sidebar's open-conversation counts: one GROUP BY query, plus the label counts when not cached.

    One GROUP BY (inbox, team) row set gives the per-inbox and per-team counts and, summed, the mine /
    unassigned / all / mentions folders. Counting labels joins every open visible conversation with its labels
    (50-70 ms on the bench data), and every agent's sidebar refreshes after every change, so those counts are
    cached under a fingerprint the first query reads from the same index: per group, the count and the sum of
    the ids of the open conversations and their latest `updated_at` (every status, label or assignment change
    writes it), plus the account's label titles (a rename retags without touching conversations). Agents who
    see the same conversations share the entry. Only a change committed with an older `updated_at` than one
    already committed in the same group could go unseen, and then only until the entry expires.
    """
    uid = account_user.user_id
    base = visible_conversations(account_user).filter(status=Status.OPEN).order_by()
    mentioned = Mention.objects.filter(user_id=uid).values("conversation_id")
    groups = list(base.values_list("inbox_id", "team_id").annotate(
        total=Count("id"), mine=Count("id", filter=Q(assignee_id=uid)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)), mentions=Count("id", filter=Q(id__in=mentioned)),
        id_sum=Sum("id"), stamp=Max("updated_at")).order_by("inbox_id", "team_id"))
    by_inbox, by_team = {}, {}
    folders = {"mine": 0, "unassigned": 0, "all": 0, "mentions": 0}
    for inbox_id, team_id, total, mine, unassigned, mentions, _ids, _stamp in groups:
        by_inbox[inbox_id] = by_inbox.get(inbox_id, 0) + total
        if team_id is not None:
            by_team[team_id] = by_team.get(team_id, 0) + total
        for key, value in (("mine", mine), ("unassigned", unassigned), ("all", total), ("mentions", mentions)):
            folders[key] += value
    fingerprint = repr((account_user.account_id, [(g[0], g[1], g[2], g[6], g[7]) for g in groups], label_titles))
    key = "folderlabels:" + hashlib.blake2b(fingerprint.encode(), digest_size=20).hexdigest()
    by_label = _cached(key)
    if by_label is None:
        by_label = dict(
            ConversationLabel.objects.filter(conversation__in=base).values_list("title").annotate(c=Count("id")))
        _cached(key, by_label)
    return {"inbox": by_inbox, "team": by_team, "label": by_label, "folders": folders}


def _cached(key: str, value=None):
    """Read (or with a value, store) a cache entry; a cache outage only means recounting."""
    try:
        if value is None:
            return cache.get(key)
        cache.set(key, value, FOLDER_LABELS_SECONDS)
    except Exception:
        logger.warning("folder count cache unavailable", exc_info=True)
    return None


def thread_messages(conversation: Conversation, *, before: int | None = None, limit: int = 50) -> list[Message]:
    """The latest `limit` messages (older than `before`), oldest first, with senders' attachments loaded."""
    qs = conversation.messages.prefetch_related("attachments").order_by("-id")
    if before:
        qs = qs.filter(id__lt=before)
    messages = list(qs[:limit])
    messages.reverse()
    attach_senders(messages)
    return messages


def attach_senders(messages: list[Message]) -> None:
    """Set `.sender` on each message with one query per sender kind."""
    from autonomia.models import User
    from contacts.models import Contact
    from inboxes.models import AgentBot

    models = {"User": User, "Contact": Contact, "AgentBot": AgentBot}
    for kind, model in models.items():
        ids = {m.sender_id for m in messages if m.sender_type == kind and m.sender_id}
        found = model.objects.in_bulk(ids) if ids else {}
        for m in messages:
            if m.sender_type == kind:
                m.sender = found.get(m.sender_id)
    for m in messages:
        if not hasattr(m, "sender"):
            m.sender = None


def access_message(account_user: AccountUser, conversation: Conversation, message_id: int) -> Message:
    """A message of a conversation the member can see, or 404."""
    try:
        message = conversation.messages.prefetch_related("attachments").get(pk=message_id)
    except (Message.DoesNotExist, ValueError):
        raise Http404 from None
    attach_senders([message])
    return message


def visible_labels(account_id: int) -> QuerySet[Label]:
    """The account's labels, by title."""
    return Label.objects.filter(account_id=account_id).order_by("title")


def previous_conversations(conversation: Conversation, account_user: AccountUser, limit: int = 10) -> list:
    """The contact's other conversations the member can see, newest first."""
    return list(
        visible_conversations(account_user).filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk).select_related("inbox", "last_message").order_by("-last_activity_at")[:limit]
    )


def unread_notification_count(account_user: AccountUser) -> int:
    """Unread bell notifications of the member in this account."""
    return Notification.objects.filter(user_id=account_user.user_id, account_id=account_user.account_id,
                                       read_at__isnull=True).count()


def unread_notifications_subquery() -> Subquery:
    """unread_notification_count as a subquery over an AccountUser queryset (its user and account)."""
    return Coalesce(Subquery(
        Notification.objects.filter(user_id=OuterRef("user_id"), account_id=OuterRef("account_id"),
                                    read_at__isnull=True)
        .order_by().values("user_id").annotate(c=Count("id")).values("c")[:1]), 0)


def recent_notifications(account_user: AccountUser, limit: int = 30) -> list[Notification]:
    """The member's latest notifications with their conversations."""
    return list(
        Notification.objects.filter(user_id=account_user.user_id, account_id=account_user.account_id)
        .select_related("conversation", "conversation__contact")[:limit]
    )


def assignable_members(conversation: Conversation) -> list[AccountUser]:
    """Memberships of the people who may be assigned or mentioned (inbox members and administrators), by name."""
    return list(
        AccountUser.objects.filter(account_id=conversation.account_id, user_id__in=viewer_ids(conversation))
        .select_related("user").order_by("user__name")
    )


def search_canned_responses(account_user: AccountUser, q: str, limit: int = 8) -> list:
    """The account's canned responses whose short code (first) or content contains `q`."""
    from automations.models import CannedResponse

    q = (q or "").strip()[:100]
    qs = CannedResponse.objects.filter(account_id=account_user.account_id)
    if q:
        qs = qs.filter(Q(short_code__icontains=q) | Q(content__icontains=q)).annotate(
            code_match=Case(When(short_code__istartswith=q, then=Value(0)), default=Value(1),
                            output_field=IntegerField()))
        qs = qs.order_by("code_match", "short_code")
    return list(qs.order_by("short_code")[:limit] if not q else qs[:limit])


# --- The JSON API (chatwoot-compat §8): bots and the rows' extra data ----------------------

def bot_conversations(bot, account_id: int) -> QuerySet[Conversation]:
    """Conversations an agent bot may act on: in the account's inboxes it is attached to, or assigned to it."""
    from inboxes.models import AgentBotInbox

    return Conversation.objects.filter(account_id=account_id).filter(
        Q(inbox_id__in=AgentBotInbox.objects.filter(agent_bot=bot).values("inbox_id")) | Q(assignee_agent_bot=bot))


def access_api_conversation(account_user: AccountUser | None, display_id, *, bot=None,
                            account_id: int | None = None) -> Conversation:
    """The conversation for an API caller (member or agent bot), or 404."""
    if account_user is not None:
        return access_conversation(account_user, display_id)
    try:
        return bot_conversations(bot, account_id).select_related(
            "inbox", "contact", "assignee", "team", "contact_inbox", "account").get(display_id=display_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _latest_messages(conversation_ids: list[int], qs: QuerySet) -> dict[int, Message]:
    rows = qs.filter(conversation_id__in=conversation_ids).order_by("conversation_id", "-id").distinct(
        "conversation_id")
    return {m.conversation_id: m for m in rows}


def prepare_api_conversations(conversations: list[Conversation]) -> list[Conversation]:
    """Load what conversation_json shows for every row in a fixed number of queries (no per-row query):
    contact inboxes, bots, API channels, assignee memberships, unread counts, the customer's last message
    time, and the last chat / non-activity messages with their senders and attachments."""
    from contacts.models import ContactInbox
    from inboxes.models import AgentBot, ApiChannel

    if not conversations:
        return conversations
    ids = [c.pk for c in conversations]
    channels = {ch.inbox_id: ch for ch in ApiChannel.objects.filter(inbox_id__in={c.inbox_id for c in conversations})}
    for c in conversations:
        c.inbox._state.fields_cache["api_channel"] = channels.get(c.inbox_id)
    ci_ids = {c.contact_inbox_id for c in conversations if c.contact_inbox_id}
    cis = ContactInbox.objects.in_bulk(ci_ids) if ci_ids else {}
    bot_ids = {c.assignee_agent_bot_id for c in conversations if c.assignee_agent_bot_id}
    bots = AgentBot.objects.in_bulk(bot_ids) if bot_ids else {}
    assignee_ids = {c.assignee_id for c in conversations if c.assignee_id}
    memberships = {au.user_id: au for au in AccountUser.objects.filter(
        account_id=conversations[0].account_id, user_id__in=assignee_ids)} if assignee_ids else {}
    incoming = Message.objects.filter(conversation_id__in=ids, message_type=Message.MessageType.INCOMING)
    last_incoming = dict(incoming.order_by().values_list("conversation_id").annotate(m=Max("created_at")))
    need_unread = [c for c in conversations if not hasattr(c, "unread_count")]
    unread = {}
    if need_unread:
        unread = dict(incoming.filter(
            conversation_id__in=[c.pk for c in need_unread],
            created_at__gt=Coalesce(F("conversation__agent_last_seen_at"), Value(EPOCH)),
        ).order_by().values_list("conversation_id").annotate(c=Count("id")))
    non_activity = Message.objects.exclude(message_type=Message.MessageType.ACTIVITY).prefetch_related("attachments")
    last_non_activity = _latest_messages(ids, non_activity)
    last_chat = _latest_messages(ids, non_activity.filter(private=False))
    messages = list({m.pk: m for m in [*last_non_activity.values(), *last_chat.values()]}.values())
    attach_senders(messages)
    by_id = {m.pk: m for m in messages}
    for c in conversations:
        c._state.fields_cache["contact_inbox"] = cis.get(c.contact_inbox_id)
        c._state.fields_cache["assignee_agent_bot"] = bots.get(c.assignee_agent_bot_id)
        c.assignee_membership = memberships.get(c.assignee_id)
        c.last_incoming_at = last_incoming.get(c.pk)
        if c in need_unread:
            c.unread_count = unread.get(c.pk, 0)
        for attr, found in (("api_last_chat_message", last_chat), ("api_last_non_activity_message",
                                                                    last_non_activity)):
            message = found.get(c.pk)
            if message is not None:
                message = by_id[message.pk]
                message._state.fields_cache["conversation"] = c
            setattr(c, attr, message)
    if not all("label_rows" in getattr(c, "_prefetched_objects_cache", {}) for c in conversations):
        prefetch_related_objects(conversations, Prefetch("label_rows",
                                                         queryset=ConversationLabel.objects.order_by("title")))
    return conversations


# --- The filter API (POST …/conversations/filter, …/contacts/filter) -------------------------

class FilterError(ValueError):
    """A filter row the API answers with 422: (message, attribute)."""

    def __init__(self, message: str, attribute: str):
        super().__init__(message)
        self.message, self.attribute = message, attribute


FILTER_OPERATORS = {"equal_to", "not_equal_to", "contains", "does_not_contain", "is_present", "is_not_present",
                    "is_greater_than", "is_less_than", "days_before", "starts_with"}


def filter_q(rows, fields: dict) -> Q:
    """Chatwoot's filter payload → one Q. `fields` maps attribute_key → fn(operator, values) → Q.
    Rows chain left to right through each row's query_operator (and|or)."""
    if not isinstance(rows, list) or not rows:
        raise FilterError("payload must be a non-empty list of conditions", "payload")
    result, pending_op = None, None
    for row in rows:
        if not isinstance(row, dict):
            raise FilterError("each condition must be an object", "payload")
        key, operator = row.get("attribute_key"), row.get("filter_operator")
        values = row.get("values", [])
        values = values if isinstance(values, list) else [values]
        if key not in fields:
            raise FilterError(f"Invalid attribute key - [{key}]", "attribute_key")
        if operator not in FILTER_OPERATORS:
            raise FilterError(f"Invalid filter operator - [{operator}]", "filter_operator")
        if operator not in ("is_present", "is_not_present") and not values:
            raise FilterError(f"Values are required for {key}", "values")
        q = fields[key](operator, values)
        result = q if result is None else (result | q if pending_op == "or" else result & q)
        pending_op = str(row.get("query_operator") or "and").lower()
        if pending_op not in ("and", "or"):
            raise FilterError("query_operator must be AND or OR", "query_operator")
    return result


def text_condition(field: str, operator: str, values: list, *, transform=lambda v: v) -> Q:
    """equal_to / not_equal_to / contains / starts_with / presence on a text column."""
    values = [transform(str(v)) for v in values if v is not None]
    if operator == "equal_to":
        return Q(**{f"{field}__in": values})
    if operator == "not_equal_to":
        return ~Q(**{f"{field}__in": values}) | Q(**{f"{field}__isnull": True})
    if operator in ("contains", "does_not_contain", "starts_with"):
        lookup = "istartswith" if operator == "starts_with" else "icontains"
        q = Q()
        for value in values:
            q |= Q(**{f"{field}__{lookup}": value})
        return ~q if operator == "does_not_contain" else q
    if operator in ("is_present", "is_not_present"):
        present = Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})
        return present if operator == "is_present" else ~present
    raise FilterError(f"Invalid filter operator for this attribute - [{operator}]", "filter_operator")


def choice_condition(field: str, operator: str, values: list, *, parse) -> Q:
    """equal_to / not_equal_to / presence on an integer or enum column; `parse` maps a value or raises."""
    if operator in ("is_present", "is_not_present"):
        return Q(**{f"{field}__isnull": operator == "is_not_present"})
    try:
        parsed = [parse(v) for v in values]
    except (KeyError, TypeError, ValueError):
        raise FilterError(f"Invalid value for {field}", "values") from None
    if operator == "equal_to":
        return Q(**{f"{field}__in": parsed})
    if operator == "not_equal_to":
        return ~Q(**{f"{field}__in": parsed}) | Q(**{f"{field}__isnull": True})
    if operator in ("is_greater_than", "is_less_than"):
        return Q(**{f"{field}__{'gt' if operator == 'is_greater_than' else 'lt'}": parsed[0]})
    raise FilterError(f"Invalid filter operator for this attribute - [{operator}]", "filter_operator")


def date_condition(field: str, operator: str, values: list) -> Q:
    """is_greater_than / is_less_than / equal_to (a day) / days_before / presence on a timestamp column."""
    from django.utils import timezone
    from django.utils.dateparse import parse_date, parse_datetime

    if operator in ("is_present", "is_not_present"):
        return Q(**{f"{field}__isnull": operator == "is_not_present"})
    raw = str(values[0])
    if operator == "days_before":
        try:
            return Q(**{f"{field}__lt": timezone.now() - dt.timedelta(days=int(raw))})
        except ValueError:
            raise FilterError(f"Invalid number of days for {field}", "values") from None
    moment = parse_datetime(raw)
    day = parse_date(raw) if moment is None else None
    if moment is None and day is None:
        raise FilterError(f"Invalid date for {field}", "values")
    if moment is None:
        moment = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if operator == "is_greater_than":
        return Q(**{f"{field}__gt": moment})
    if operator == "is_less_than":
        return Q(**{f"{field}__lt": moment})
    if operator in ("equal_to", "not_equal_to") and day is not None:
        q = Q(**{f"{field}__gte": moment, f"{field}__lt": moment + dt.timedelta(days=1)})
        return q if operator == "equal_to" else ~q
    raise FilterError(f"Invalid filter operator for this attribute - [{operator}]", "filter_operator")


def _label_condition(operator: str, values: list) -> Q:
    tagged = ConversationLabel.objects.filter(title__in=[str(v).lower() for v in values]).values("conversation_id")
    any_label = ConversationLabel.objects.values("conversation_id")
    if operator == "equal_to":
        return Q(id__in=tagged)
    if operator == "not_equal_to":
        return ~Q(id__in=tagged)
    if operator in ("is_present", "is_not_present"):
        return Q(id__in=any_label) if operator == "is_present" else ~Q(id__in=any_label)
    raise FilterError(f"Invalid filter operator for this attribute - [{operator}]", "filter_operator")


CONVERSATION_FILTER_FIELDS = {
    "status": lambda op, v: choice_condition("status", op, v, parse=lambda x: STATUSES[str(x)]),
    "priority": lambda op, v: choice_condition("priority", op, v,
                                               parse=lambda x: Conversation.Priority[str(x).upper()].value),
    "assignee_id": lambda op, v: choice_condition("assignee_id", op, v, parse=int),
    "inbox_id": lambda op, v: choice_condition("inbox_id", op, v, parse=int),
    "team_id": lambda op, v: choice_condition("team_id", op, v, parse=int),
    "display_id": lambda op, v: choice_condition("display_id", op, v, parse=int),
    "contact_id": lambda op, v: choice_condition("contact_id", op, v, parse=int),
    "labels": _label_condition,
    "created_at": lambda op, v: date_condition("created_at", op, v),
    "last_activity_at": lambda op, v: date_condition("last_activity_at", op, v),
    "waiting_since": lambda op, v: date_condition("waiting_since", op, v),
}


def filter_conversations(qs: QuerySet[Conversation], rows) -> QuerySet[Conversation]:
    """Apply the filter API's rows (raises FilterError)."""
    return qs.filter(filter_q(rows, CONVERSATION_FILTER_FIELDS))


# --- The API's list extras (chatwoot-compat §5.2): message search, source_id, updated_within -----------

MESSAGE_SEARCH_MIN_LENGTH = 3  # shorter text cannot use the trigram index (conversations/migrations/0003)
UPDATED_WITHIN_MAX_ROWS = 1000


def api_search_q(account_id: int, q: str) -> Q:
    """The API's `q`: the contact's name, email or phone, the #number, or (3+ characters) the text of an incoming
    or outgoing message, which is what Chatwoot's conversation search matches.

    One `id IN (… UNION …)` of indexed lookups (the pg_trgm indexes on messages and contacts, the contact's
    conversations, the display id) rather than ORs across a join, which would read every conversation and
    contact of the account (docs/benchmarks.md, bench/conversation_search.py)."""
    from contacts.models import Contact

    conversations = Conversation.objects.filter(account_id=account_id).order_by()
    contacts = Contact.objects.filter(account_id=account_id).filter(
        Q(name__icontains=q) | Q(email__icontains=q) | Q(phone_number__icontains=q)).values("id")
    matching = conversations.filter(contact_id__in=contacts).values("id")
    if q.lstrip("#").isdigit():
        matching = matching.union(conversations.filter(display_id=int(q.lstrip("#"))).values("id"))
    if len(q) >= MESSAGE_SEARCH_MIN_LENGTH:
        # UPPER(content) LIKE UPPER('%q%'): served by the pg_trgm index message_content_trgm on PostgreSQL
        matching = matching.union(Message.objects.filter(
            account_id=account_id, message_type__in=(Message.MessageType.INCOMING, Message.MessageType.OUTGOING),
            content__icontains=q).order_by().values("conversation_id"))
    return Q(id__in=matching)


def api_conversation_page(account_user: AccountUser, f: ConversationFilter, *, source_id: str | None = None,
                          updated_within: int | None = None) -> ConversationPage:
    """conversation_page for the API: `q` as api_search_q, `source_id` (the contact's id in the inbox) and
    `updated_within` (seconds: every conversation updated since, unpaged, at most UPDATED_WITHIN_MAX_ROWS;
    the counts ignore it, as Chatwoot's do)."""
    from dataclasses import replace

    from django.utils import timezone

    scoped = _apply_scope(visible_conversations(account_user), replace(f, q=""), account_user)
    if f.q:
        scoped = scoped.filter(api_search_q(account_user.account_id, f.q))
    if source_id is not None:
        scoped = scoped.filter(contact_inbox__source_id=source_id)
    if f.status != "all":
        scoped = scoped.filter(status=STATUSES[f.status])
    uid = account_user.user_id
    counts = scoped.order_by().aggregate(
        mine=Count("id", filter=Q(assignee_id=uid)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        assigned=Count("id", filter=Q(assignee__isnull=False)),
        all=Count("id"),
    )
    qs = _sorted(_apply_assignee(scoped, f.assignee_type, uid), f.sort_by)
    if updated_within is None:
        start, size = (f.page - 1) * f.per_page, f.per_page
        page_ids = qs.values("id")[start:start + size + 1]
    else:
        size = UPDATED_WITHIN_MAX_ROWS
        since = timezone.now() - dt.timedelta(seconds=updated_within)
        page_ids = qs.filter(updated_at__gt=since).values("id")[:size + 1]
    rows = list(_sorted(list_rows(Conversation.objects.filter(id__in=page_ids)), f.sort_by))
    return ConversationPage(rows[:size], counts, len(rows) > size, f.page)
