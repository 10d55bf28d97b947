"""Test data built through the same actions the product uses."""

import itertools

from autonomia.models import Account, AccountUser, User
from contacts.models import Contact
from conversations import actions as conversation_actions
from conversations.models import Conversation
from inboxes import actions as inbox_actions
from inboxes.models import Inbox

PASSWORD = "s3cret-pass-123"
_seq = itertools.count(1)


def make_account(name: str | None = None) -> Account:
    return Account.objects.create(name=name or f"Empresa {next(_seq)}")


def make_user(email: str | None = None, name: str | None = None, password: str = PASSWORD) -> User:
    n = next(_seq)
    return User.objects.create_user(email or f"user{n}@example.com", password, name=name or f"Pessoa {n}")


def make_member(account: Account, user: User | None = None, *, role=AccountUser.Role.AGENT,
                availability=AccountUser.Availability.ONLINE, auto_offline: bool = False) -> User:
    user = user or make_user()
    AccountUser.objects.create(account=account, user=user, role=role, availability=availability,
                               auto_offline=auto_offline)
    return user


def make_inbox(account: Account, *, name: str | None = None, members=(), actor=None, **settings) -> Inbox:
    return inbox_actions.create_inbox(account, actor=actor, name=name or f"Caixa {next(_seq)}",
                                      member_ids=[m.pk for m in members], **settings)


def make_contact(account: Account, **fields) -> Contact:
    n = next(_seq)
    fields.setdefault("name", f"Cliente {n}")
    return Contact.objects.create(account=account, **fields)


def make_conversation(inbox: Inbox, *, contact: Contact | None = None, messages: int = 1,
                      status: int | None = None, **kwargs) -> Conversation:
    contact = contact or make_contact(inbox.account)
    conversation = conversation_actions.create_conversation(inbox, contact=contact, status=status, **kwargs)
    for i in range(messages):
        conversation_actions.receive_message(conversation, sender=contact, content=f"Olá, mensagem {i + 1}")
    conversation.refresh_from_db()
    return conversation
