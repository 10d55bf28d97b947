"""The sidebar's label counts are cached (conversations.queries.folder_counts) and still follow every change.

Each test loads the sidebar once (which fills the cache), changes something through the actions, and reads
the sidebar again, as the browser does after every conversation.changed event.
"""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from conversations import actions
from conversations.label_actions import create_label, update_label
from conversations.models import Conversation
from tests import factories

pytestmark = pytest.mark.django_db
FOLDERS = {"HX-Request": "true", "HX-Target": "folders"}


def label_count(client, account, title: str) -> int:
    """The count the sidebar shows next to the label (0 when it shows none)."""
    response = client.get(reverse("conversations:inbox", kwargs={"account_id": account.pk}), headers=FOLDERS)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<span class="folder-name">{title}</span>' in html
    found = re.search(rf'<span class="folder-name">{re.escape(title)}</span><span class="folder-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


@pytest.fixture
def tagged(account, admin, inbox, other_inbox):
    """Two open conversations labelled vip (one in an inbox the agent is not a member of) and one unlabelled."""
    create_label(account, actor=admin, title="vip", color="#0a7c2f")
    made = [factories.make_conversation(inbox), factories.make_conversation(other_inbox),
            factories.make_conversation(inbox)]
    for conversation in made[:2]:
        actions.set_labels(conversation, actor=admin, titles=["vip"])
    return [Conversation.objects.get(pk=c.pk) for c in made]


def test_label_counts_follow_labelling_resolving_and_reopening(admin_client, account, admin, tagged):
    assert label_count(admin_client, account, "vip") == 2
    actions.add_labels(tagged[2], actor=admin, titles=["vip"])
    assert label_count(admin_client, account, "vip") == 3
    actions.change_status(Conversation.objects.get(pk=tagged[0].pk), actor=admin,
                          status=Conversation.Status.RESOLVED)
    assert label_count(admin_client, account, "vip") == 2
    actions.remove_labels(Conversation.objects.get(pk=tagged[1].pk), actor=admin, titles=["vip"])
    assert label_count(admin_client, account, "vip") == 1
    resolved = Conversation.objects.get(pk=tagged[0].pk)
    actions.receive_message(resolved, sender=resolved.contact, content="Voltei")  # reopens it
    assert label_count(admin_client, account, "vip") == 2


def test_label_counts_follow_new_and_deleted_conversations(admin_client, account, admin, inbox, tagged):
    assert label_count(admin_client, account, "vip") == 2
    new = factories.make_conversation(inbox)
    actions.set_labels(new, actor=admin, titles=["vip"])
    assert label_count(admin_client, account, "vip") == 3
    actions.delete_conversation(Conversation.objects.get(pk=tagged[0].pk), actor=admin)
    assert label_count(admin_client, account, "vip") == 2


def test_a_renamed_label_keeps_its_count(admin_client, account, admin, tagged):
    assert label_count(admin_client, account, "vip") == 2
    update_label(account.labels.get(title="vip"), actor=admin, title="cliente-vip", color="#0a7c2f")
    assert label_count(admin_client, account, "cliente-vip") == 2


def test_each_agent_counts_only_the_conversations_they_see(admin_client, agent_client, account, agent, admin,
                                                           other_inbox, tagged):
    assert label_count(admin_client, account, "vip") == 2
    assert label_count(agent_client, account, "vip") == 1  # not a member of the second inbox
    other_inbox.members.add(agent)
    assert label_count(agent_client, account, "vip") == 2


def test_the_counts_come_from_the_cache_until_something_changes(admin_client, account, admin, tagged):
    assert label_count(admin_client, account, "vip") == 2
    client = cache._cache.get_client(write=False)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    [key] = [k.decode().split(":", 2)[2] for k in client.scan_iter(match=f"{prefix}:*:folderlabels:*")]
    cache.set(key, {"vip": 42})
    assert label_count(admin_client, account, "vip") == 42
    actions.add_labels(tagged[2], actor=admin, titles=["vip"])
    assert label_count(admin_client, account, "vip") == 3
