"""The list's rows come from a cache keyed on what they show: every change to a row shows, nothing goes stale.

conversations/views/rows.py renders each row once per content and language and keeps it in the cache (Redis
here, as in production); these tests fill the cache with one request, change one thing through the actions
an agent or a channel would use, and read the list again.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from autonomia.actions import update_profile
from contacts.actions import update_contact
from conversations import actions
from conversations.label_actions import create_label, update_label
from conversations.models import Conversation
from inboxes.actions import update_inbox

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def list_row(client, account, conversation, params="?status=all") -> str:
    """The conversation's <li> in the list partial (the list must show it)."""
    url = reverse("conversations:list", kwargs={"account_id": account.pk}) + params
    response = client.get(url, headers=HX)
    assert response.status_code == 200
    found = re.search(rf'<li class="conv-row[^"]*" id="conversation-{conversation.display_id}".*?</li>',
                      response.content.decode(), re.S)
    assert found, f"conversation {conversation.display_id} not in the list"
    return found.group(0)


def cached_row_keys() -> list[str]:
    """The row keys in this test process's cache namespace (without the prefix and version)."""
    client = cache._cache.get_client(write=False)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    return [k.decode().split(":", 2)[2] for k in client.scan_iter(match=f"{prefix}:*:convrow:*")]


def fresh(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


# Each case: what to change, and a text the row shows only afterwards.
def rename_contact(c, admin, agent, inbox):
    update_contact(c.contact, actor=admin, name="Marina Souza")


def add_label(c, admin, agent, inbox):
    create_label(c.account, actor=admin, title="vip", color="#0a7c2f")
    actions.set_labels(c, actor=admin, titles=["vip"])


def recolour_label(c, admin, agent, inbox):
    label = create_label(c.account, actor=admin, title="vip", color="#0a7c2f")
    actions.set_labels(c, actor=admin, titles=["vip"])
    update_label(label, actor=admin, title="vip", color="#ff0066")


def customer_writes(c, admin, agent, inbox):
    actions.receive_message(fresh(c), sender=c.contact, content="Meu pedido ainda não chegou")


def agent_replies_privately(c, admin, agent, inbox):
    actions.send_reply(fresh(c), actor=agent, content="Verificar com a transportadora", private=True)


def message_deleted(c, admin, agent, inbox):
    actions.delete_message(fresh(c).last_message, actor=admin)


def assign(c, admin, agent, inbox):
    actions.assign_agent(fresh(c), actor=admin, assignee=agent)


def resolve(c, admin, agent, inbox):
    actions.change_status(fresh(c), actor=admin, status=Conversation.Status.RESOLVED)


def prioritise(c, admin, agent, inbox):
    actions.change_priority(fresh(c), actor=admin, priority=Conversation.Priority.URGENT)


def rename_inbox(c, admin, agent, inbox):
    update_inbox(inbox, actor=admin, name="Atendimento VIP")


def seen(c, admin, agent, inbox):
    actions.mark_seen(fresh(c), user=agent)


CHANGES = [
    (rename_contact, ">Marina Souza<"),
    (rename_contact, ">MS</span>"),  # the avatar's initials
    (add_label, '<span class="label-chip" style="--label: #0a7c2f">vip</span>'),
    (recolour_label, '<span class="label-chip" style="--label: #ff0066">vip</span>'),
    (customer_writes, "Meu pedido ainda não chegou"),
    (customer_writes, '<span class="unread-count" title="Mensagens não lidas">2</span>'),
    (seen, '<li class="conv-row" '),  # no longer "is-unread"
    (agent_replies_privately, '<span class="preview-note">'),
    (message_deleted, "<em>Esta mensagem foi excluída</em>"),
    (assign, 'title="Atribuída a Bruno Agente"'),
    (resolve, '<span class="status-badge status-resolved">Resolvida</span>'),
    (prioritise, 'title="Prioridade: Urgente"'),
    (rename_inbox, "Atendimento VIP</span>"),
]


@pytest.mark.parametrize(("change", "shown"), CHANGES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_change_to_the_row_shows_through_the_cache(change, shown, agent_client, account, admin, agent, inbox,
                                                     conversation):
    first = list_row(agent_client, account, conversation)
    assert list_row(agent_client, account, conversation) == first and cached_row_keys()  # from the cache now
    assert shown not in first
    change(conversation, admin, agent, inbox)
    assert shown in list_row(agent_client, account, conversation)


def test_the_row_is_served_from_the_cache_until_the_row_changes(agent_client, account, admin, conversation):
    list_row(agent_client, account, conversation)
    [key] = cached_row_keys()
    cache.set(key, cache.get(key).replace("Carla Cliente", "Carla do Cache"))
    assert ">Carla do Cache<" in list_row(agent_client, account, conversation)
    update_contact(conversation.contact, actor=admin, name="Carla Cliente Silva")
    row = list_row(agent_client, account, conversation)
    assert ">Carla Cliente Silva<" in row and "Carla do Cache" not in row


def test_the_same_row_in_two_languages_and_time_zones_is_two_entries(agent_client, account, admin, agent,
                                                                      conversation):
    actions.assign_agent(fresh(conversation), actor=admin, assignee=agent)
    portuguese = list_row(agent_client, account, conversation)
    update_profile(agent, actor=agent, name=agent.name, display_name="", message_signature="", locale="en",
                   timezone="Asia/Tokyo", ui_settings={})
    english = list_row(agent_client, account, conversation)
    assert 'title="Atribuída a Bruno Agente"' in portuguese and 'title="Assigned to Bruno Agente"' in english
    local = timezone.localtime(fresh(conversation).last_activity_at, dt.timezone(dt.timedelta(hours=9)))
    title = re.search(r'<time [^>]*title="([^"]*)"', english).group(1)
    # English DATETIME_FORMAT: "11/24/2026 9:05 a.m.", or "11/24/2026 2 a.m." on the hour.
    assert re.match(rf"{local:%m/%d/%Y} {local.hour % 12 or 12}[: ]", title), title
    assert len(cached_row_keys()) == 2


def test_the_relative_time_is_computed_per_request_not_cached(agent_client, account, conversation, monkeypatch):
    Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=timezone.now() - dt.timedelta(minutes=5))
    row = list_row(agent_client, account, conversation)
    assert re.search(r"<time [^>]*>5min</time>", row)
    [key] = cached_row_keys()
    assert "5min" not in cache.get(key)
    later = timezone.now() + dt.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert re.search(r"<time [^>]*>2h</time>", list_row(agent_client, account, conversation))


def test_the_row_partial_is_the_list_row(agent_client, account, admin, conversation):
    create_label(conversation.account, actor=admin, title="vip", color="#0a7c2f")
    actions.set_labels(fresh(conversation), actor=admin, titles=["vip"])
    in_list = list_row(agent_client, account, conversation)
    url = reverse("conversations:row", kwargs={"account_id": account.pk, "display_id": conversation.display_id})
    assert agent_client.get(url, headers=HX).content.decode().strip() == in_list


def test_the_list_works_without_its_cache(agent_client, account, conversation):
    down = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://127.0.0.1:1/0", "KEY_PREFIX": "down"}}
    with override_settings(CACHES=down):
        row = list_row(agent_client, account, conversation)
    assert ">Carla Cliente<" in row and "Olá, mensagem 1" in row


def test_the_row_template_reads_only_what_row_display_gives(agent_client, account, admin, agent, conversation):
    create_label(conversation.account, actor=admin, title="vip", color="#0a7c2f")
    actions.set_labels(fresh(conversation), actor=admin, titles=["vip"])
    actions.assign_agent(fresh(conversation), actor=admin, assignee=agent)
    actions.change_priority(fresh(conversation), actor=admin, priority=Conversation.Priority.HIGH)
    actions.change_status(fresh(conversation), actor=admin, status=Conversation.Status.PENDING)
    templates = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"],
                                                       "string_if_invalid": "MISSING[%s]"}}]
    with override_settings(TEMPLATES=templates):
        row = list_row(agent_client, account, conversation)
    assert "MISSING" not in row
    assert "Pendente" in row and "Alta" in row and ">vip<" in row and "Bruno Agente" in row


def test_equal_rows_of_two_accounts_keep_their_own_links(account, other_account):
    from conversations.views.rows import render_rows

    row = {"display_id": 7, "unread_count": 0, "contact_id": 1, "contact__name": "Ana", "contact__email": "",
           "contact__phone_number": "", "assignee_id": None, "last_message_id": None, "priority": None,
           "status": Conversation.Status.OPEN, "last_activity_at": timezone.now(), "inbox__channel_type": "Channel::Api",
           "inbox__name": "Site", "labels": []}
    for owner in (account, other_account, account):
        html = render_rows([row], {}, owner.pk)
        assert reverse("conversations:inbox", kwargs={"account_id": owner.pk}) + "7/" in html
