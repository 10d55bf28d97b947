"""Bulk changes to many conversations (POST /api/v1/accounts/{id}/bulk_actions, type Conversation).

As in Chatwoot the request is checked and answered at once, and a background job applies it: one
transaction per conversation, through the same actions as a change made one conversation at a time (the
inbox's bulk bar calls them too), so activity lines, audit rows, webhooks and realtime events are identical.
The job sees only the conversations the member may see when it runs; others are skipped silently, and so is
a conversation whose change a rule refuses (nothing of that one is written).

`changes` is plain JSON for the job: any of status (int), snoozed_until (ISO time or None), assignee_id
(int or None: unassign), team_id (int or None: remove the team), add_labels and remove_labels (titles).
"""

import re

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from autonomia.actions import DomainError, audit
from autonomia.models import AccountUser, Team, User
from conversations import actions
from conversations.models import Conversation, ConversationLabel

MAX_IDS = 1000
LABEL_TITLE = re.compile(r"[\w-]+")


def check_bulk_changes(account_id: int, changes: dict) -> None:
    """Refuse (DomainError) what no conversation of the account could take: unknown status, agent, team,
    a snooze time in the past, malformed label titles."""
    status = changes.get("status")
    if "status" in changes and status not in Conversation.Status.values:
        raise DomainError(_("Unknown status."), field="status")
    until = changes.get("snoozed_until")
    if until is not None and parse_datetime(until) <= timezone.now():
        raise DomainError(_("Choose a time in the future."), field="snoozed_until")
    assignee_id = changes.get("assignee_id")
    if assignee_id is not None and not AccountUser.objects.filter(account_id=account_id,
                                                                  user_id=assignee_id).exists():
        raise DomainError(_("Unknown agent or team."), field="assignee_id")
    team_id = changes.get("team_id")
    if team_id is not None and not Team.objects.filter(account_id=account_id, pk=team_id).exists():
        raise DomainError(_("Unknown agent or team."), field="team_id")
    for title in [*changes.get("add_labels", ()), *changes.get("remove_labels", ())]:
        if not LABEL_TITLE.fullmatch(title.strip().lower()):
            raise DomainError(_("Labels may only contain letters, digits, - and _."), field="labels")


@transaction.atomic
def request_bulk_update(account_user: AccountUser, *, ids: list[int], changes: dict) -> None:
    """Check a bulk change, audit it and hand it to the background job after commit."""
    from conversations.tasks import bulk_update_conversations_task

    if not ids or len(ids) > MAX_IDS:
        raise DomainError(_("Choose between 1 and %(max)s conversations.") % {"max": MAX_IDS}, field="ids")
    if not changes:
        raise DomainError(_("Choose a change to make."), field="fields")
    check_bulk_changes(account_user.account_id, changes)
    audit(account_user.account_id, account_user.user, "bulk_update", account_user.account,
          {"ids": ids, "changes": changes})
    membership_id, ids = account_user.pk, list(ids)
    transaction.on_commit(lambda: bulk_update_conversations_task.delay(membership_id, ids, changes),
                          robust=True)


@transaction.atomic
def apply_bulk_changes(conversation: Conversation, *, actor: User, changes: dict) -> Conversation:
    """Apply one bulk change to one conversation, all or nothing: labels, team, assignee, then status (so a
    conversation opened without an assignee is auto-assigned after the assignee change)."""
    if changes.get("add_labels") or changes.get("remove_labels"):
        current = ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True)
        unwanted = {t.strip().lower() for t in changes.get("remove_labels", ())}
        titles = [t for t in current if t not in unwanted] + list(changes.get("add_labels", ()))
        conversation = actions.set_labels(conversation, actor=actor, titles=titles)
    if "team_id" in changes:
        team = None
        if changes["team_id"] is not None:  # deleted since the request: skip rather than remove the team
            team = Team.objects.filter(account_id=conversation.account_id, pk=changes["team_id"]).first()
            if team is None:
                raise DomainError(_("Unknown agent or team."), field="team_id")
        conversation = actions.assign_team(conversation, actor=actor, team=team)
    if "assignee_id" in changes:
        assignee = None
        if changes["assignee_id"] is not None:
            assignee = User.objects.filter(pk=changes["assignee_id"]).first()
            if assignee is None:
                raise DomainError(_("Unknown agent or team."), field="assignee_id")
        conversation = actions.assign_agent(conversation, actor=actor, assignee=assignee)
    if "status" in changes:
        until = changes.get("snoozed_until")
        conversation = actions.change_status(
            conversation, actor=actor, status=changes["status"],
            snoozed_until=parse_datetime(until) if until and changes["status"] == Conversation.Status.SNOOZED
            else None)
    return conversation
