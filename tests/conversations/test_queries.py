"""The conversation list's reads: a fixed number of queries whatever the rows, and correct paging.

The budget (docs/targets.md B2): at most 12 queries per list request, the same for 3 or 30 conversations and
for 25 or 100 per page. bench/conversation_list.py measures the same requests on 100k conversations.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from autonomia.models import AccountUser, Team
from conversations import actions
from conversations.models import Attachment, Conversation, Label, Mention
from conversations.queries import ConversationFilter, conversation_page, folder_counts, visible_conversations
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
BUDGET = 12  # the conversation list (HTMX partial), whatever the page size or filter
# The first load of the whole inbox page adds the sidebar (per-inbox/team/label counts) and the bell count to the
# list: session, user, membership, labels, inboxes, teams, 2 folder counts, page counts, rows, row labels,
# members (bulk assign), unread notifications.
FULL_PAGE_BUDGET = 13
LABELS = ["vip", "billing", "bug"]


@pytest.fixture
def world(account, admin, agent, inbox, other_inbox):
    """Labels, a team and a second agent; `add(n)` makes n more conversations with everything a row shows."""
    for i, title in enumerate(LABELS):
        Label.objects.create(account=account, title=title, color=f"#00000{i}")
    team = Team.objects.create(account=account, name="Suporte N1")
    second = factories.make_member(account)
    other_inbox.members.add(agent, second)
    inboxes, assignees = [inbox, other_inbox], [agent, second, admin, None]
    made = []

    def add(n: int) -> list[Conversation]:
        for _ in range(n):
            i = len(made)
            conversation = factories.make_conversation(inboxes[i % 2], messages=1 + i % 3)
            reply = actions.send_reply(conversation, actor=agent, content=f"Resposta {i}")
            Attachment.objects.create(message=reply, account=account, file_type=Attachment.FileType.IMAGE,
                                      file_name=f"foto-{i}.jpg", content_type="image/jpeg",
                                      external_url=f"https://cdn.example.com/{i}.jpg")
            actions.receive_message(conversation, sender=conversation.contact, content="Mais uma dúvida")
            actions.set_labels(conversation, actor=admin, titles=LABELS[:1 + i % 3])
            if assignees[i % 4] is not None:
                actions.assign_agent(conversation, actor=admin, assignee=assignees[i % 4])
            Conversation.objects.filter(pk=conversation.pk).update(
                team=team if i % 2 else None, priority=i % 5 if i % 5 < 4 else None)
            if i % 7 == 0:
                Mention.objects.create(conversation=conversation, user=agent, mentioned_at=timezone.now())
            made.append(conversation)
        return made

    return add


def membership(user) -> AccountUser:
    return AccountUser.objects.select_related("account", "user").get(user=user)


def forget_cached_label_counts() -> None:
    """Drop this process's cached label counts (never cache.clear(): other workers share the Redis)."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*:folderlabels:*"))
    if keys:
        client.delete(*keys)


def queries_of(call) -> int:
    """Queries made by `call()`, after one warm-up call (per-process caches such as content types)."""
    call()
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def get(client, url, headers=None):
    def call():
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200
        return response
    return call


def touch_rows(page) -> None:
    """Read every attribute the list row template reads; any lazy load would be counted."""
    for c in page.conversations:
        (c.contact.display_name, c.inbox.name, c.assignee and c.assignee.available_name, c.team and c.team.name,
         c.last_message and c.last_message.content, c.unread_count, [r.title for r in c.label_rows.all()])


# --- the same number of queries for 3 and 30 conversations, within the budget ------------------------------

LIST_PARAMS = ["", "?status=all", "?status=open&label=vip", "?assignee_type=me", "?page=2&status=all",
               "?q=Cliente&status=all", "?sort_by=priority_desc"]


@pytest.mark.parametrize("persona", ["admin", "agent"])
def test_list_partial_queries_do_not_grow_with_rows(request, world, account, persona):
    client = request.getfixturevalue(f"{persona}_client")
    base = reverse("conversations:list", kwargs={"account_id": account.pk})

    def sizes(params):  # page sizes that leave rows on page 2 too (an empty page skips the label prefetch)
        return (2, 10, 20) if "page=2" in params else (2, 25, 100)

    def count(params, per_page):
        with override_settings(CONVERSATION_RESULTS_PER_PAGE=per_page):
            return queries_of(get(client, base + params, HX))

    world(3)
    small = {params: count(params, sizes(params)[0]) for params in LIST_PARAMS}
    world(27)
    for params in LIST_PARAMS:
        assert [count(params, n) for n in sizes(params)[1:]] == [small[params]] * 2, params
        assert small[params] <= BUDGET, params


@pytest.mark.parametrize("persona", ["admin", "agent"])
def test_full_inbox_page_queries_do_not_grow_with_rows(request, world, account, persona):
    client = request.getfixturevalue(f"{persona}_client")
    url = reverse("conversations:inbox", kwargs={"account_id": account.pk})
    world(3)
    small = queries_of(get(client, url))
    world(27)
    large = queries_of(get(client, url))
    with override_settings(CONVERSATION_RESULTS_PER_PAGE=100):
        larger_page = queries_of(get(client, url))
    assert small == large == larger_page
    assert large <= FULL_PAGE_BUDGET


def test_folders_partial_queries_do_not_grow_with_rows(world, agent_client, account):
    url = reverse("conversations:inbox", kwargs={"account_id": account.pk})
    headers = {**HX, "HX-Target": "folders"}
    world(3)
    small = queries_of(get(agent_client, url, headers))
    world(27)
    assert queries_of(get(agent_client, url, headers)) == small <= BUDGET


@pytest.mark.parametrize("persona", ["admin", "agent"])
def test_conversation_page_is_two_queries_plus_the_label_prefetch(world, admin, agent, persona):
    au = membership(admin if persona == "admin" else agent)

    def call():
        page = conversation_page(au, ConversationFilter(status="all"))
        touch_rows(page)
        return page

    world(3)
    small = queries_of(call)
    world(27)
    large = queries_of(call)
    assert small == large == 3  # counts, the page (rows, joins, unread counts), the label rows


def test_folder_counts_are_two_fixed_queries_and_add_up(world, agent):
    au = membership(agent)
    world(3)
    small = queries_of(lambda: folder_counts(au))  # the label counts come from the cache the warm-up filled
    world(27)
    assert queries_of(lambda: folder_counts(au)) == small == 1
    forget_cached_label_counts()
    with CaptureQueriesContext(connection) as ctx:
        counts = folder_counts(au)
    assert len(ctx.captured_queries) == 2
    open_ = visible_conversations(au).filter(status=Conversation.Status.OPEN)
    assert counts["folders"]["all"] == open_.count() == sum(counts["inbox"].values())
    assert counts["folders"]["mine"] == open_.filter(assignee_id=au.user_id).count()
    assert counts["folders"]["unassigned"] == open_.filter(assignee__isnull=True).count()
    assert counts["team"] == {t: open_.filter(team_id=t).count() for t in counts["team"]}


# --- paging and counts stay right ----------------------------------------------------------------------------

SORTS = ["last_activity_at_desc", "last_activity_at_asc", "created_at_desc", "created_at_asc", "priority_desc",
         "priority_asc", "waiting_since_asc", "waiting_since_desc"]


@pytest.mark.parametrize("sort_by", SORTS)
def test_pages_cover_every_conversation_once_in_order(world, admin, sort_by):
    conversations = world(12)
    # Ties on the sort key are broken by id, so pages never repeat or skip a row.
    same = timezone.now() - dt.timedelta(hours=1)
    Conversation.objects.filter(pk__in=[c.pk for c in conversations[:5]]).update(last_activity_at=same,
                                                                                 created_at=same)
    au = membership(admin)
    everything = conversation_page(au, ConversationFilter(status="all", sort_by=sort_by, per_page=100))
    assert len(everything.conversations) == 12 and not everything.has_next
    seen, page = [], 1
    while True:
        result = conversation_page(au, ConversationFilter(status="all", sort_by=sort_by, page=page, per_page=5))
        seen += [c.pk for c in result.conversations]
        if not result.has_next:
            break
        page += 1
    assert page == 3
    assert seen == [c.pk for c in everything.conversations]


def test_page_rows_and_counts_follow_the_filters(world, account, agent, other_inbox):
    world(12)
    au = membership(agent)
    f = ConversationFilter(status="all", inbox_id=other_inbox.pk, label="bug", per_page=100)
    page = conversation_page(au, f)
    expected = Conversation.objects.filter(inbox=other_inbox, label_rows__title="bug")
    assert {c.pk for c in page.conversations} == set(expected.values_list("pk", flat=True))
    assert page.counts["all"] == expected.count()
    assert page.counts["mine"] == expected.filter(assignee=agent).count()
    assert page.counts["unassigned"] == expected.filter(assignee=None).count()
    mine = conversation_page(au, ConversationFilter(status="all", assignee_type="me", per_page=100))
    assert {c.assignee_id for c in mine.conversations} == {agent.pk}


def test_rows_carry_unread_counts_labels_and_last_message(world, admin):
    conversation = world(1)[0]
    row = conversation_page(membership(admin), ConversationFilter(status="all")).conversations[0]
    assert row.pk == conversation.pk
    assert row.last_message.content == "Mais uma dúvida"
    assert row.unread_count == 2  # the first incoming message and the one after the reply
    assert [r.title for r in row.label_rows.all()] == ["vip"]


def test_agent_never_pages_into_other_inboxes(world, account, agent, inbox):
    world(6)
    hidden = factories.make_inbox(account, name="Só admin")
    factories.make_conversation(hidden)
    page = conversation_page(membership(agent), ConversationFilter(status="all", per_page=100))
    assert hidden.pk not in {c.inbox_id for c in page.conversations}
    assert page.counts["all"] == len(page.conversations) == 6


# --- receive_message: the per-message budget of every channel's inbound path ---------------------------

RECEIVE_BUDGET = 14  # statements, savepoints included (docs/benchmarks.md, WhatsApp ingest)


def test_receiving_a_message_runs_a_fixed_number_of_queries(account, admin, agent, contact):
    """Lock, insert, conversation and contact updates, one webhook check, viewers, participants and the two
    notifications (assignee and participant), each in its savepoints."""
    from automations.models import WebhookDelivery
    from inboxes.models import Inbox

    inbox = factories.make_inbox(account, members=[agent], channel_type=Inbox.ChannelType.WHATSAPP)
    conversation = factories.make_conversation(inbox, contact=contact)
    actions.assign_agent(conversation, actor=admin, assignee=agent)
    actions.set_participants(conversation, actor=admin, user_ids=[admin.pk, agent.pk])
    actions.receive_message(conversation, sender=conversation.contact, content="primeira", source_id="m-0")
    for i in range(1, 3):
        with CaptureQueriesContext(connection) as ctx:
            message = actions.receive_message(conversation, sender=conversation.contact, content=f"olá {i}",
                                              source_id=f"m-{i}")
        assert len(ctx.captured_queries) <= RECEIVE_BUDGET, "\n".join(q["sql"][:120] for q in ctx.captured_queries)
    assert message.content == "olá 2"
    # Nobody subscribed: no webhook planning (one small check instead), no delivery rows.
    assert not any("automations_webhookdelivery" in q["sql"] for q in ctx.captured_queries)
    assert not WebhookDelivery.objects.exists()


def test_a_subscribed_webhook_still_gets_every_received_message(conversation, settings):
    from automations.models import Webhook, WebhookDelivery

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    Webhook.objects.create(account_id=conversation.account_id, url="http://127.0.0.1:9/hook",
                           subscriptions=["message_created"])
    message = actions.receive_message(conversation, sender=conversation.contact, content="oi", source_id="w-1")
    delivery = WebhookDelivery.objects.get(event="message_created")
    assert (delivery.message_id, delivery.payload["content"]) == (message.pk, "oi")
