"""More conversation endpoints of the Chatwoot API (chatwoot-compat §5.2): mute / unmute, the emailed
transcript and the agent's reply draft. Members only: `api_view` answers agent-bot tokens 401, as Chatwoot."""

from django.conf import settings
from django_ratelimit.core import is_ratelimited

from autonomia.api import ApiError, api_view, nested, unprocessable
from conversations import actions, drafts
from conversations.api import get_conversation

TRANSCRIPT_RATE = "20/h"  # per member: each transcript is an email to an address of the caller's choosing


@api_view(["POST"])
def mute(request, display_id):
    """Resolve the conversation and block the contact (their messages no longer reopen it or notify)."""
    actions.mute_conversation(get_conversation(request, display_id), actor=request.api_actor)


@api_view(["POST"])
def unmute(request, display_id):
    """Unblock the conversation's contact."""
    actions.unmute_conversation(get_conversation(request, display_id), actor=request.api_actor)


@api_view(["POST"])
def transcript(request, display_id):
    """Email the public messages to `email` (sent in the background); limited per member against spam."""
    conversation = get_conversation(request, display_id)
    email = request.data.get("email")
    if not isinstance(email, str) or not email.strip():
        raise unprocessable("email param missing", ["email"])
    if settings.RATELIMIT_ENABLE and is_ratelimited(
            request, group="conversation-transcript", key=lambda g, r: str(request.account_user.pk),
            rate=TRANSCRIPT_RATE, increment=True):
        raise ApiError(429, {"error": "Too many transcripts. Try again later."},
                       headers={"Retry-After": "3600"})
    actions.request_transcript(conversation, actor=request.api_actor, email=email)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def draft_messages(request, display_id):
    """GET `{has_draft, message}`; PATCH `{draft_message: {message}}` keeps it; DELETE forgets it (per agent)."""
    conversation = get_conversation(request, display_id)
    user = request.api_actor
    if request.method == "GET":
        message = drafts.read_draft(conversation, user)
        return {"has_draft": False} if message is None else {"has_draft": True, "message": message}
    if request.method == "DELETE":
        drafts.delete_draft(conversation, user=user)
        return None
    message = nested(request.data, "draft_message").get("message")
    if message is None:
        message = ""  # Chatwoot stores an empty draft when the message is missing
    if not isinstance(message, str):
        raise unprocessable("message must be a string", ["message"])
    drafts.save_draft(conversation, user=user, message=message)
    return None
