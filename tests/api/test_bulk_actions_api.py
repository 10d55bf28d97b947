"""POST /api/v1/accounts/{id}/bulk_actions (chatwoot-compat §5.2): checked at once, applied by a job."""

import datetime as dt

import pytest
from django.utils import timezone

from autonomia.models import AuditLog, Team, TeamMember
from conversations import actions
from conversations.models import Conversation, ConversationLabel, Message
from conversations.tasks import bulk_update_conversations_task
from tests import factories
from tests.api.conftest import assert_422

pytestmark = pytest.mark.django_db


def state(conversation: Conversation) -> tuple:
    conversation.refresh_from_db()
    labels = sorted(ConversationLabel.objects.filter(conversation=conversation).values_list("title", flat=True))
    return conversation.status, conversation.assignee_id, conversation.team_id, labels, conversation.snoozed_until


@pytest.fixture
def bulk(api, django_capture_on_commit_callbacks):
    """POST bulk_actions and run what it queued on commit (the job, eager in tests)."""
    def post(body, token=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return api("POST", "bulk_actions", body, token=token, **kwargs)

    return post


def test_status_assignee_team_and_labels(bulk, tokens, inbox, admin, agent):
    team = Team.objects.create(account=inbox.account, name="vendas")
    TeamMember.objects.create(team=team, user=agent)
    first, second = factories.make_conversation(inbox), factories.make_conversation(inbox)
    actions.set_labels(first, actor=admin, titles=["antigo", "vip"])
    response = bulk({"type": "Conversation", "ids": [first.display_id, str(second.display_id)],
                     "fields": {"status": "pending", "assignee_id": agent.pk, "team_id": team.pk},
                     "labels": {"add": ["Pedido"], "remove": ["antigo"]}}, token=tokens["agent"])
    assert response.status_code == 200 and response.json() == {}
    assert state(first)[:4] == (Conversation.Status.PENDING, agent.pk, team.pk, ["pedido", "vip"])
    assert state(second)[:4] == (Conversation.Status.PENDING, agent.pk, team.pk, ["pedido"])
    # the same activity lines as one-by-one changes, and the request itself is audited
    assert first.messages.filter(message_type=Message.MessageType.ACTIVITY).count() >= 4
    row = AuditLog.objects.get(action="bulk_update")
    assert row.user_id == agent.pk and row.audited_changes["ids"] == sorted([first.display_id, second.display_id])


def test_snooze_unassign_and_remove_team(bulk, inbox, admin, agent):
    team = Team.objects.create(account=inbox.account, name="suporte")
    conversation = factories.make_conversation(inbox, team=team)
    actions.assign_agent(conversation, actor=admin, assignee=agent)
    until = int((timezone.now() + dt.timedelta(days=1)).timestamp())
    response = bulk({"type": "conversation", "ids": [conversation.display_id], "snoozed_until": until,
                     "fields": {"status": "snoozed", "assignee_id": None, "team_id": 0}})
    assert response.status_code == 200
    status, assignee_id, team_id, _, snoozed_until = state(conversation)
    assert (status, assignee_id, team_id) == (Conversation.Status.SNOOZED, None, None)
    assert int(snoozed_until.timestamp()) == until
    # snoozed without a time: until the next reply; a null status is ignored, as in Chatwoot
    bulk({"type": "Conversation", "ids": [conversation.display_id], "fields": {"status": None},
          "labels": {"add": ["x"]}})
    assert state(conversation)[0] == Conversation.Status.SNOOZED
    bulk({"type": "Conversation", "ids": [conversation.display_id], "fields": {"status": "snoozed"}})
    assert state(conversation)[4] is None


def test_only_visible_conversations_change(bulk, tokens, inbox, other_inbox, other_account):
    mine, theirs = factories.make_conversation(inbox), factories.make_conversation(other_inbox)
    foreign = factories.make_conversation(factories.make_inbox(other_account))
    ids = [mine.display_id, theirs.display_id, foreign.display_id, 987654]
    before = {c.pk: state(c) for c in (mine, theirs, foreign)}
    response = bulk({"type": "Conversation", "ids": ids, "fields": {"status": "resolved"}}, token=tokens["agent"])
    assert response.status_code == 200 and response.json() == {}
    assert state(mine)[0] == Conversation.Status.RESOLVED
    assert state(theirs) == before[theirs.pk] and state(foreign) == before[foreign.pk]
    # an agent of none of the inboxes: accepted, nothing changes (Chatwoot answers 200 and skips)
    response = bulk({"type": "Conversation", "ids": ids, "fields": {"status": "pending"}},
                    token=tokens["agent_outside"])
    assert response.status_code == 200
    assert state(mine)[0] == Conversation.Status.RESOLVED and state(theirs) == before[theirs.pk]


def test_a_refused_conversation_is_skipped_whole(bulk, inbox, other_inbox, agent):
    """The agent may work `inbox` only: assigning them elsewhere is refused, and that conversation keeps its
    status too (one transaction per conversation); the others are changed."""
    here, there = factories.make_conversation(inbox), factories.make_conversation(other_inbox)
    before = state(there)
    assert bulk({"type": "Conversation", "ids": [here.display_id, there.display_id],
                 "fields": {"status": "pending", "assignee_id": agent.pk}}).status_code == 200
    assert state(here)[:2] == (Conversation.Status.PENDING, agent.pk)
    assert state(there) == before
    assert not there.messages.filter(message_type=Message.MessageType.ACTIVITY).exists()


def test_the_job_is_idempotent(inbox, admin, agent):
    from autonomia.models import AccountUser

    conversation = factories.make_conversation(inbox)
    membership = AccountUser.objects.get(user=admin, account=inbox.account)
    changes = {"status": Conversation.Status.RESOLVED, "assignee_id": agent.pk, "add_labels": ["vip"]}
    assert bulk_update_conversations_task(membership.pk, [conversation.display_id], changes) == 1
    after, lines = state(conversation), conversation.messages.count()
    assert bulk_update_conversations_task(membership.pk, [conversation.display_id], changes) == 1
    assert state(conversation) == after and conversation.messages.count() == lines
    assert bulk_update_conversations_task(0, [conversation.display_id], changes) == 0  # membership gone


@pytest.mark.parametrize("body,attribute", [
    ({"type": "Contact", "ids": [1], "fields": {"status": "open"}}, "type"),
    ({"ids": [1], "fields": {"status": "open"}}, "type"),
    ({"type": "Conversation", "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": [], "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": "1", "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": ["abc"], "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": [1.5], "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": [2**40], "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": list(range(1, 1002)), "fields": {"status": "open"}}, "ids"),
    ({"type": "Conversation", "ids": [1]}, "fields"),
    ({"type": "Conversation", "ids": [1], "fields": {"status": "closed"}}, "status"),
    ({"type": "Conversation", "ids": [1], "fields": {"status": ["open"]}}, "status"),
    ({"type": "Conversation", "ids": [1], "fields": "open"}, "fields"),
    ({"type": "Conversation", "ids": [1], "fields": {"assignee_id": 987654}}, "assignee_id"),
    ({"type": "Conversation", "ids": [1], "fields": {"assignee_id": "x"}}, "assignee_id"),
    ({"type": "Conversation", "ids": [1], "fields": {"team_id": 987654}}, "team_id"),
    ({"type": "Conversation", "ids": [1], "fields": {"status": "snoozed"}, "snoozed_until": 1000},
     "snoozed_until"),
    ({"type": "Conversation", "ids": [1], "fields": {"status": "snoozed"}, "snoozed_until": "amanhã"},
     "snoozed_until"),
    ({"type": "Conversation", "ids": [1], "labels": {"add": ["não pode"]}}, "labels"),
    ({"type": "Conversation", "ids": [1], "labels": {"add": "vip"}}, "labels"),
    ({"type": "Conversation", "ids": [1], "labels": ["vip"]}, "labels"),
])
def test_bad_input_is_422_and_writes_nothing(bulk, conversation, body, attribute):
    before = (state(conversation), AuditLog.objects.count(), Message.objects.count())
    assert_422(bulk(body), attribute)
    assert (state(conversation), AuditLog.objects.count(), Message.objects.count()) == before


def test_assignee_of_another_account_is_422(bulk, conversation, outsider):
    before = state(conversation)
    assert_422(bulk({"type": "Conversation", "ids": [conversation.display_id],
                     "fields": {"assignee_id": outsider.pk}}), "assignee_id")
    assert state(conversation) == before


def test_outsiders_404_bots_401_malformed_400(bulk, tokens, conversation, other_account):
    body = {"type": "Conversation", "ids": [conversation.display_id], "fields": {"status": "resolved"}}
    before = (state(conversation), AuditLog.objects.count())
    response = bulk(body, token=tokens["outsider"])
    assert response.status_code == 404 and response.json() == {"error": "Resource could not be found"}
    # the outsider in their own account: accepted, but our conversation with the same display id is untouched
    assert bulk(body, token=tokens["outsider"], account_id=other_account.pk).status_code == 200
    assert bulk(body, token=tokens["bot"]).status_code == 401
    assert bulk(body, raw=b'{"type": ').status_code == 400
    assert state(conversation) == before[0]
    assert AuditLog.objects.filter(account=conversation.account).count() == before[1]


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_through_a_live_server(live_api, inbox, admin):
    """The real stack: uvicorn answers at once and the job (eager in tests) runs after the commit."""
    conversations = [factories.make_conversation(inbox) for _ in range(3)]
    response = live_api("POST", "bulk_actions", json={
        "type": "Conversation", "ids": [c.display_id for c in conversations],
        "fields": {"status": "resolved", "assignee_id": admin.pk}, "labels": {"add": ["lote"]}})
    assert response.status_code == 200 and response.json() == {}
    for conversation in conversations:
        assert state(conversation)[:4] == (Conversation.Status.RESOLVED, admin.pk, None, ["lote"])
    response = live_api("POST", "bulk_actions", json={"type": "Conversation", "ids": [1], "fields": {}})
    assert response.status_code == 422 and response.json()["attributes"] == ["fields"]
