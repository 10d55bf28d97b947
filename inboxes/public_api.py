"""The Client (public) API, `/public/api/v1/inboxes/{inbox_identifier}/…` (chatwoot-compat.md §6): no token.

Only `update_last_seen` exists so far, which Evolution API's Chatwoot bridge calls when an outgoing message
is read on WhatsApp (channels.md §2.4, row 14). The inbox identifier is the API channel's `identifier`, the
contact identifier is the ContactInbox `source_id` in that inbox, and conversation ids are display_ids of
that contact inbox's conversations. Unknown ids answer 404 `{"error": "Resource could not be found"}`,
never a hint about which part was wrong.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from autonomia.api import NOT_FOUND


def _conversation(inbox_identifier: str, source_id: str, display_id: int):
    from contacts.models import ContactInbox
    from conversations.models import Conversation

    contact_inbox = (ContactInbox.objects.filter(inbox__api_channel__identifier=inbox_identifier, source_id=source_id)
                     .only("id", "inbox_id").first())
    if contact_inbox is None:
        return None
    return (Conversation.objects.filter(contact_inbox=contact_inbox, inbox_id=contact_inbox.inbox_id,
                                        display_id=display_id).first())


@csrf_exempt
def update_last_seen(request: HttpRequest, inbox_identifier: str, source_id: str, display_id: int) -> HttpResponse:
    """The contact has seen the conversation: sets contact_last_seen_at (Chatwoot answers `head :ok`)."""
    from conversations.models import Conversation

    if request.method != "POST":
        response = JsonResponse({"error": f"Method {request.method} not allowed"}, status=405)
        response["Allow"] = "POST"
        return response
    conversation = _conversation(inbox_identifier, source_id, display_id)
    if conversation is None:
        return JsonResponse(NOT_FOUND, status=404)
    Conversation.objects.filter(pk=conversation.pk).update(contact_last_seen_at=timezone.now())
    return HttpResponse(status=200)
