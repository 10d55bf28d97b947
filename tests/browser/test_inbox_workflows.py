"""Real-browser workflows beyond the reply: live list, reconnect resync, mentions, presence, bulk, shortcuts."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse

from autonomia.models import AccountUser
from conversations import actions
from conversations.models import Conversation
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def server_side(fn, *args, **kwargs):
    """Run an action the way a request would: in its own thread (Playwright's loop owns this one)."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def make_conversation(*args, **kwargs):
    return server_side(factories.make_conversation, *args, **kwargs)


@pytest.fixture
def open_as(browser, live_server_asgi, session_cookie_for):
    """Open a page of the live server as a member; console errors fail the test."""
    contexts, problems = [], []

    def open_page(member, path, ready="#conversation-list"):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        context.add_cookies([{**session_cookie_for(member), "url": live_server_asgi.url}])
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("response", lambda response: response.status >= 400 and problems.append(
            f"{response.status} {response.request.method} {response.url}"))
        page.goto(live_server_asgi.url + path)
        page.wait_for_selector(ready)
        page.wait_for_function("() => window.Autonomia && window.Autonomia.live.connected")
        if ready == "#conversation":  # the server confirmed the watch: the conversation's events reach us
            page.wait_for_function("() => window.Autonomia.live.watched !== null")
        page.wait_for_load_state("networkidle")  # the resync that follows every (re)connect is done
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


def inbox_path(account_id, **query):
    url = reverse("conversations:inbox", kwargs={"account_id": account_id})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def detail_path(conversation):
    return reverse("conversations:detail", kwargs={"account_id": conversation.account_id,
                                                   "display_id": conversation.display_id})


def test_a_new_conversation_appears_in_the_list_without_reload(open_as, account, agent, inbox):
    page = open_as(agent, inbox_path(account.pk))
    page.evaluate("() => { window.__sameDocument = true; }")

    contact = factories.make_contact(account, name="Débora Nova")
    conversation = make_conversation(inbox, contact=contact, messages=0)
    server_side(actions.receive_message, conversation, sender=contact, content="Chegou agora pelo site")

    row = f"#conversation-{conversation.display_id}"
    page.wait_for_selector(f"{row} .row-name >> text=Débora Nova", timeout=5000)
    page.wait_for_selector(f"{row} .row-preview >> text=Chegou agora pelo site", timeout=5000)
    assert page.evaluate("() => window.__sameDocument") is True


def test_a_reconnect_resyncs_messages_missed_while_offline(open_as, agent, conversation, contact):
    page = open_as(agent, detail_path(conversation), ready="#conversation")
    # Drop the socket and hold reconnection, so the next message can only arrive through the resync.
    page.evaluate("""() => {
        window.__wsPath = document.body.dataset.wsPath;
        document.body.dataset.wsPath = '';
        window.Autonomia.live.socket.close();
    }""")
    page.wait_for_function("() => !window.Autonomia.live.connected")

    server_side(actions.receive_message, conversation, sender=contact, content="Mensagem enquanto você estava fora")
    page.wait_for_timeout(300)
    assert page.locator(".msg-in >> text=Mensagem enquanto você estava fora").count() == 0

    page.evaluate("""() => {
        document.body.dataset.wsPath = window.__wsPath;
        window.dispatchEvent(new Event('online'));
    }""")
    page.wait_for_selector(".msg-in >> text=Mensagem enquanto você estava fora", timeout=8000)
    assert page.locator(".msg-in >> text=Mensagem enquanto você estava fora").count() == 1


def test_a_mention_in_a_private_note_rings_the_other_agents_bell(open_as, admin, agent, conversation):
    a = open_as(admin, detail_path(conversation), ready="#conversation")
    b = open_as(agent, inbox_path(conversation.account_id))
    before = int(b.locator("#bell-count").text_content() or 0)  # e.g. the auto-assignment notification

    a.click(".reply-tab[data-mode=note]")
    a.type("#reply-content", "Pode ver isto, @Bru")
    a.wait_for_selector(".suggestion[data-mention-name='Bruno Agente']", timeout=5000)
    a.click(".suggestion[data-mention-name='Bruno Agente']")
    a.press("#reply-content", "Control+Enter")
    a.wait_for_selector(".msg-note >> text=Pode ver isto", timeout=5000)

    b.wait_for_selector(f"#bell-count:not([hidden]) >> text={before + 1}", timeout=5000)
    b.click("#bell summary")
    b.wait_for_selector("#notification-list .notification.is-unread >> text=Carla Cliente", timeout=5000)
    title = b.locator("#notification-list .notification-title").first.text_content()
    assert title == "Mencionaram você"  # pt-BR is the default language


def test_availability_changes_show_live_to_colleagues(open_as, admin, agent, conversation):
    actions.assign_agent(conversation, actor=admin, assignee=agent)
    a = open_as(admin, detail_path(conversation), ready="#conversation")
    selector = f"#conversation-header [data-presence-user='{agent.pk}']"
    a.wait_for_selector(selector)

    b = open_as(agent, inbox_path(conversation.account_id))
    b.click("#profile-menu summary")
    b.click(f".availability-option[data-availability-value='{AccountUser.Availability.BUSY}']")

    a.wait_for_selector(f"{selector}[data-availability=busy]", state="attached", timeout=5000)
    membership = AccountUser.objects.get(user=agent, account_id=conversation.account_id)
    assert membership.availability == AccountUser.Availability.BUSY


def test_bulk_resolve_and_keyboard_navigation(open_as, admin, inbox):
    first = make_conversation(inbox)
    second = make_conversation(inbox)
    page = open_as(admin, inbox_path(inbox.account_id, status="open"))

    # J opens the first conversation of the list, J again the next, K goes back; "?" shows the sheet.
    page.keyboard.press("j")
    page.wait_for_selector(f"#conversation-header[data-display-id='{second.display_id}']", timeout=5000)
    page.keyboard.press("j")
    page.wait_for_selector(f"#conversation-header[data-display-id='{first.display_id}']", timeout=5000)
    page.keyboard.press("k")
    page.wait_for_selector(f"#conversation-header[data-display-id='{second.display_id}']", timeout=5000)
    page.keyboard.press("?")
    page.wait_for_selector("#shortcuts-dialog[open]", timeout=3000)
    page.keyboard.press("Escape")
    page.wait_for_selector("#shortcuts-dialog:not([open])", state="attached", timeout=3000)

    for conversation in (first, second):
        page.check(f"#conversation-{conversation.display_id} input[name=ids]")
    page.wait_for_selector("#bulk-bar:not([hidden])")
    page.click("#bulk-bar button[name=action][value=resolve]")
    page.wait_for_selector(f"#conversation-{first.display_id}", state="detached", timeout=5000)
    page.wait_for_selector(f"#conversation-{second.display_id}", state="detached", timeout=5000)
    statuses = set(Conversation.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == {Conversation.Status.RESOLVED}
