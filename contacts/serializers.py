"""Chatwoot's JSON shapes for contacts and contact inboxes (chatwoot-compat §8); no queries of their own."""

from django.conf import settings

from autonomia.api import epoch


def file_url(field) -> str:
    """Absolute URL of an uploaded image (avatars), or '' when there is none."""
    if not field:
        return ""
    try:
        return settings.FRONTEND_URL + field.url
    except ValueError:
        return ""


def inbox_json(inbox) -> dict:
    """The inbox as embedded in a contact_inbox (the full inbox shape belongs to the inboxes API)."""
    channel = getattr(inbox, "api_channel", None) if inbox.channel_type == "Channel::Api" else None
    data = {"id": inbox.pk, "avatar_url": file_url(inbox.avatar), "channel_id": channel.pk if channel else inbox.pk,
            "name": inbox.name, "channel_type": inbox.channel_type, "greeting_enabled": inbox.greeting_enabled,
            "greeting_message": inbox.greeting_message, "working_hours_enabled": inbox.working_hours_enabled,
            "enable_email_collect": inbox.enable_email_collect, "csat_survey_enabled": inbox.csat_survey_enabled,
            "enable_auto_assignment": inbox.enable_auto_assignment, "out_of_office_message":
                inbox.out_of_office_message, "timezone": inbox.timezone,
            "allow_messages_after_resolved": inbox.allow_messages_after_resolved,
            "lock_to_single_conversation": inbox.lock_to_single_conversation}
    if channel is not None:
        data.update(webhook_url=channel.webhook_url, inbox_identifier=channel.identifier)
    return data


def contact_inbox_json(contact_inbox) -> dict:
    return {"source_id": contact_inbox.source_id, "inbox": inbox_json(contact_inbox.inbox)}


def contact_json(contact, *, contact_inboxes=None) -> dict:
    """The Contact shape; pass the (prefetched) contact_inboxes to include them."""
    data = {
        "additional_attributes": contact.additional_attributes, "availability_status": "offline",
        "email": contact.email, "id": contact.pk, "name": contact.name, "phone_number": contact.phone_number,
        "blocked": contact.blocked, "identifier": contact.identifier, "thumbnail": file_url(contact.avatar),
        "custom_attributes": contact.custom_attributes, "last_activity_at": epoch(contact.last_activity_at),
        "created_at": epoch(contact.created_at),
    }
    if contact_inboxes is not None:
        data["contact_inboxes"] = [contact_inbox_json(ci) for ci in contact_inboxes]
    return data


def note_json(note) -> dict:
    user = note.user
    return {"id": note.pk, "content": note.content, "contact_id": note.contact_id,
            "user_id": note.user_id, "created_at": epoch(note.created_at), "updated_at": epoch(note.created_at),
            "user": {"id": user.pk, "name": user.name, "available_name": user.available_name,
                     "thumbnail": file_url(user.avatar)} if user else None}
