"""inbox_created / inbox_updated (Chatwoot's inbox events), delivered to a real local HTTP receiver."""

import pytest

from tests.automations.test_webhooks import allow_private, make_webhook, receiver, verify  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

INBOX_EVENTS = ["inbox_created", "inbox_updated"]


def test_inbox_created_carries_the_inbox_json_with_its_channel_and_no_credentials(
        allow_private, receiver, account, admin, agent, django_capture_on_commit_callbacks):
    from inboxes import actions

    hook = make_webhook(account, receiver.url, subscriptions=INBOX_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        inbox = actions.create_inbox(account, actor=admin, name="Integração", member_ids=[agent.pk],
                                     greeting_enabled=True, greeting_message="Olá!")
        # The settings page sets the webhook URL in the same transaction: it is in the event, built after commit.
        actions.update_api_channel(inbox, actor=admin, webhook_url="https://crm.example.com/hook")
    [event] = receiver.events()
    assert event["event"] == "inbox_created"
    assert (event["id"], event["name"], event["channel_type"]) == (inbox.pk, "Integração", "Channel::Api")
    assert event["greeting_enabled"] is True and event["greeting_message"] == "Olá!"
    assert event["webhook_url"] == "https://crm.example.com/hook"
    assert event["inbox_identifier"] == inbox.api_channel.identifier
    assert event["timezone"] == "America/Sao_Paulo" and len(event["working_hours"]) == 7
    assert event["sender_name_type"] == "friendly" and event["auto_assignment_config"] == {}
    assert event["created_at"].endswith("Z") and event["updated_at"].endswith("Z")
    assert "hmac_token" not in event and inbox.api_channel.hmac_token not in receiver.requests[0]["body"].decode()
    assert "changed_attributes" not in event
    assert verify(hook.secret, receiver.requests[0])


def test_inbox_updated_lists_the_changed_attributes(allow_private, receiver, account, admin, inbox,
                                                    django_capture_on_commit_callbacks):
    from inboxes import actions

    make_webhook(account, receiver.url, subscriptions=["inbox_updated"])
    before = inbox.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_inbox(inbox, actor=admin, name="Suporte VIP", sender_name_type=1, max_assignment_limit=3)
    [event] = receiver.events()
    assert event["event"] == "inbox_updated" and event["id"] == inbox.pk and event["name"] == "Suporte VIP"
    assert event["auto_assignment_config"] == {"max_assignment_limit": 3}
    changed = {key: value for item in event["changed_attributes"] for key, value in item.items()}
    assert changed["name"] == {"previous_value": "Suporte", "current_value": "Suporte VIP"}
    assert changed["sender_name_type"] == {"previous_value": "friendly", "current_value": "professional"}
    assert changed["auto_assignment_config"]["current_value"] == {"max_assignment_limit": 3}
    assert changed["updated_at"]["previous_value"].startswith(before.strftime("%Y-%m-%dT%H:%M"))
    assert set(changed) == {"name", "sender_name_type", "auto_assignment_config", "updated_at"}


def test_saving_without_changes_sends_nothing(allow_private, receiver, account, admin, inbox,
                                              django_capture_on_commit_callbacks):
    from inboxes import actions

    make_webhook(account, receiver.url, subscriptions=INBOX_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_inbox(inbox, actor=admin, name=inbox.name, max_assignment_limit=inbox.max_assignment_limit)
    assert receiver.requests == []


def test_creating_through_the_api_sends_one_inbox_created_and_no_update(
        allow_private, receiver, account, admin, django_capture_on_commit_callbacks):
    """The REST create runs create_inbox, then update_inbox and the channel in the same transaction: the one
    inbox_created, built after the commit, has the channel's webhook URL, and the update changed nothing."""
    from autonomia.queries import api_token_for
    from django.test import Client

    make_webhook(account, receiver.url, subscriptions=INBOX_EVENTS)
    client = Client(headers={"api_access_token": api_token_for("User", admin.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/accounts/{account.pk}/inboxes", {
            "name": "Loja", "channel": {"type": "api", "webhook_url": "https://loja.example.com/chatwoot"},
            "enable_auto_assignment": False}, content_type="application/json")
    assert response.status_code == 200, response.content
    [event] = receiver.events()
    assert event["event"] == "inbox_created" and event["id"] == response.json()["id"]
    assert event["webhook_url"] == "https://loja.example.com/chatwoot" and event["enable_auto_assignment"] is False

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"/api/v1/accounts/{account.pk}/inboxes/{event['id']}",
                                {"greeting_enabled": True, "greeting_message": "Oi"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert [e["event"] for e in receiver.events()] == ["inbox_created", "inbox_updated"]
    changed = {key for item in receiver.events()[1]["changed_attributes"] for key in item}
    assert {"greeting_enabled", "greeting_message"} <= changed


def test_inbox_events_go_only_to_subscribed_account_webhooks_of_that_inbox(
        allow_private, receiver, account, other_account, admin, inbox, other_inbox,
        django_capture_on_commit_callbacks):
    from inboxes import actions

    make_webhook(account, receiver.url + "?default")  # Chatwoot's default subscriptions: no inbox events
    make_webhook(account, receiver.url + "?other-inbox", subscriptions=INBOX_EVENTS, inbox=other_inbox)
    make_webhook(account, receiver.url + "?this-inbox", subscriptions=INBOX_EVENTS, inbox=inbox)
    make_webhook(other_account, receiver.url + "?other-account", subscriptions=INBOX_EVENTS)
    inbox.api_channel.webhook_url = receiver.url + "?api-inbox"  # the API inbox's own URL gets no inbox events
    inbox.api_channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_inbox(inbox, actor=admin, name="Suporte 2")
    assert [r["path"] for r in receiver.requests] == ["/hook?this-inbox"]


def test_a_disabled_webhook_gets_no_inbox_events(allow_private, receiver, account, admin,
                                                 django_capture_on_commit_callbacks):
    from inboxes import actions

    make_webhook(account, receiver.url, subscriptions=INBOX_EVENTS, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_inbox(account, actor=admin, name="Nova")
    assert receiver.requests == []
