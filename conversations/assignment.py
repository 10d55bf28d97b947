"""Auto-assignment: round robin over online inbox members under their capacity, team-aware."""

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from autonomia.models import AccountUser, TeamMember
from autonomia.queries import present_user_ids
from conversations.models import Conversation
from inboxes.models import InboxMember


def assignable_member_ids(conversation: Conversation) -> list[int]:
    """Members who may take the conversation now, least recently assigned first.

    Online means availability "online" and, for auto-offline agents, a live browser; busy and
    offline agents are skipped, as are agents at the inbox's max open conversations. With a team
    that allows auto-assignment only its members qualify.
    """
    inbox = conversation.inbox
    members = InboxMember.objects.filter(inbox=inbox).order_by(F("last_assigned_at").asc(nulls_first=True), "id")
    if conversation.team_id:
        if not conversation.team.allow_auto_assign:
            return []
        members = members.filter(user_id__in=TeamMember.objects.filter(team_id=conversation.team_id).values("user_id"))
    online = dict(
        AccountUser.objects.filter(account_id=conversation.account_id, availability=AccountUser.Availability.ONLINE,
                                   user__is_active=True, user_id__in=members.values("user_id"))
        .values_list("user_id", "auto_offline")
    )
    present = present_user_ids(conversation.account_id, [uid for uid, auto in online.items() if auto])
    candidates = [m.user_id for m in members if m.user_id in online and (not online[m.user_id] or m.user_id in present)]
    limit = inbox.max_assignment_limit
    if limit and candidates:
        loads = dict(
            Conversation.objects.filter(inbox=inbox, status=Conversation.Status.OPEN, assignee_id__in=candidates)
            .values_list("assignee_id").annotate(c=Count("id"))
        )
        candidates = [uid for uid in candidates if loads.get(uid, 0) < limit]
    return candidates


def auto_assign_conversation(conversation_id: int) -> int | None:
    """Assign an open, unassigned conversation of an auto-assigning inbox; returns the assignee id."""
    from autonomia.models import User
    from conversations.actions import assign_agent

    with transaction.atomic():
        conversation = (Conversation.objects.select_for_update(of=("self",))
                        .select_related("inbox", "team", "account").filter(pk=conversation_id).first())
        if conversation is None or not conversation.is_open or not conversation.inbox.enable_auto_assignment:
            return None
        if conversation.assignee_id and InboxMember.objects.filter(
                inbox_id=conversation.inbox_id, user_id=conversation.assignee_id).exists():
            return None
        candidates = assignable_member_ids(conversation)
        if not candidates:
            return None
        chosen = candidates[0]
        InboxMember.objects.filter(inbox_id=conversation.inbox_id, user_id=chosen).update(
            last_assigned_at=timezone.now())
        assign_agent(conversation, actor=None, assignee=User.objects.get(pk=chosen))
        return chosen


def assign_waiting_conversations(inbox_id: int, limit: int = 100) -> int:
    """Give unassigned open conversations of the inbox, oldest first, to agents with free capacity."""
    ids = list(
        Conversation.objects.filter(inbox_id=inbox_id, status=Conversation.Status.OPEN, assignee__isnull=True)
        .filter(Q(team__isnull=True) | Q(team__allow_auto_assign=True))
        .order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if auto_assign_conversation(pk))
