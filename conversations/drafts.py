"""Reply drafts per agent and conversation (GET|PATCH|DELETE …/conversations/{id}/draft_messages).

Chatwoot keeps drafts in Redis; here they live in Django's cache (Redis in production, local memory in the
embedded default) under a key of the conversation and the agent, so agents never see each other's drafts.
Nothing is audited: a draft is not a change to the conversation. Drafts expire after DRAFT_SECONDS.
"""

from django.core.cache import cache
from django.utils.translation import gettext as _

from autonomia.actions import DomainError
from conversations.models import Conversation

DRAFT_SECONDS = 30 * 24 * 3600
MAX_DRAFT_LENGTH = 150_000  # a message's own limit


def draft_key(conversation: Conversation, user) -> str:
    return f"conversation-draft:{conversation.pk}:{user.pk}"


def read_draft(conversation: Conversation, user) -> str | None:
    """The agent's saved draft of a reply in this conversation, or None."""
    return cache.get(draft_key(conversation, user))


def save_draft(conversation: Conversation, *, user, message: str) -> None:
    """Keep (replace) the agent's draft."""
    if len(message) > MAX_DRAFT_LENGTH:
        raise DomainError(_("The message is too long."), field="message")
    cache.set(draft_key(conversation, user), message, DRAFT_SECONDS)


def delete_draft(conversation: Conversation, *, user) -> None:
    """Forget the agent's draft (nothing happens when there is none)."""
    cache.delete(draft_key(conversation, user))
