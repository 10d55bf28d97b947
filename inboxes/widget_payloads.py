"""The JSON shapes of Chatwoot's widget API (`/api/v1/widget/*`): config, the visitor, conversations, messages.

Visitors see less than agents: senders carry only a name and picture, messages are public ones only (the
queries exclude private notes and activity lines), and `content_html` is the sanitised Markdown the widget
shows (an addition to Chatwoot's shape, so the browser never renders untrusted HTML itself).
"""

from django.urls import reverse
from django.utils import translation

from autonomia.api import epoch
from contacts.models import ContactInbox
from conversations.models import Attachment, Conversation, Message
from conversations.rendering import render_markdown
from conversations.serializers import attachment_token
from helpcenter.models import Article, Portal
from helpcenter.queries import article_body_html, popular_articles
from inboxes.models import WebWidgetChannel
from inboxes.widget_queries import availability, public_messages, widget_portal

_LOOK_UP = object()


def avatar_path(channel: WebWidgetChannel) -> str:
    if not channel.inbox.avatar:
        return ""
    return reverse("widget:avatar", kwargs={"website_token": channel.website_token}) + (
        f"?v={int(channel.inbox.updated_at.timestamp())}")


def config_json(channel: WebWidgetChannel, *, portal=_LOOK_UP) -> dict:
    """Chatwoot's website_channel_config (never the HMAC token), plus `help_center` (see help_center_json)."""
    inbox = channel.inbox
    portal = widget_portal(channel) if portal is _LOOK_UP else portal
    hours = [{"day_of_week": h.day_of_week, "closed_all_day": h.closed_all_day, "open_all_day": h.open_all_day,
              "open_hour": h.open_hour, "open_minutes": h.open_minutes, "close_hour": h.close_hour,
              "close_minutes": h.close_minutes} for h in inbox.working_hours.all()]
    status = availability(inbox)
    features = [name for name in ("attachments", "emoji_picker", "end_conversation") if channel.flag(name)]
    return {
        "website_name": inbox.name, "website_token": channel.website_token, "avatar_url": avatar_path(channel),
        "widget_color": channel.widget_color, "welcome_title": channel.welcome_title,
        "welcome_tagline": channel.welcome_tagline, "reply_time": channel.reply_time, "position": channel.position,
        "launcher_title": channel.launcher_title, "enabled_features": features,
        "pre_chat_form_enabled": channel.pre_chat_form_enabled,
        "pre_chat_form_options": channel.pre_chat_form_options, "continuity_via_email": channel.continuity_via_email,
        "enable_email_collect": inbox.enable_email_collect, "working_hours_enabled": inbox.working_hours_enabled,
        "working_hours": hours, "timezone": inbox.timezone, "out_of_office_message": inbox.out_of_office_message,
        "is_online": status["online"],
        "next_opening": status["next_opening"].isoformat() if status["next_opening"] else None,
        "allow_messages_after_resolved": inbox.allow_messages_after_resolved,
        "lock_to_single_conversation": inbox.lock_to_single_conversation,
        "hmac_mandatory": channel.hmac_mandatory, "locale": translation.get_language(),
        "help_center": help_center_json(portal),
    }


def portal_locale(portal: Portal, locale: str | None) -> str:
    """The portal language closest to the widget's ("pt-br" → "pt-BR", "en" → "en"), else the portal's default."""
    wanted = (locale or "").lower()
    allowed = portal.allowed_locales
    for matches in (lambda code: code.lower() == wanted,
                    lambda code: code.lower().split("-")[0] == wanted.split("-")[0]):
        found = next((code for code in allowed if matches(code)), None)
        if found:
            return found
    return portal.default_locale


def help_center_json(portal: Portal | None) -> dict | None:
    """Where the widget searches before a chat starts (deflection): the public portal linked to the inbox, in the
    active language; None when there is none (restricted and password-protected portals are never offered)."""
    if portal is None:
        return None
    locale = portal_locale(portal, translation.get_language())
    return {"name": portal.name, "slug": portal.slug, "locale": locale, "url": f"/hc/{portal.slug}/{locale}/"}


def article_link(article: Article) -> str:
    """The article's page in the portal (same origin as the widget frame)."""
    return f"/hc/{article.portal.slug}/{article.locale}/articles/{article.slug}/"


def popular_articles_json(portal: Portal | None, limit: int = 3) -> list[dict]:
    """The portal's most viewed articles in the widget's language, shown before the visitor types."""
    if portal is None:
        return []
    articles = popular_articles(portal, portal_locale(portal, translation.get_language()), limit=limit)
    return [{"id": a.pk, "title": a.title, "description": a.description, "link": article_link(a)}
            for a in articles]


def article_json(article: Article) -> dict:
    """An article as the widget shows it: the sanitised HTML of the portal page and a link to that page."""
    return {"id": article.pk, "title": article.title, "description": article.description, "locale": article.locale,
            "content_html": article_body_html(article), "link": article_link(article),
            "portal_slug": article.portal.slug}


def visitor_json(contact_inbox: ContactInbox) -> dict:
    """The visitor as the widget knows them: name, email, phone and the pubsub token of their socket."""
    contact = contact_inbox.contact
    return {"id": contact.pk, "name": contact.name, "email": contact.email, "phone_number": contact.phone_number,
            "identifier": contact.identifier, "pubsub_token": contact_inbox.pubsub_token,
            "source_id": contact_inbox.source_id, "hmac_verified": contact_inbox.hmac_verified}


def attachment_json(attachment: Attachment) -> dict:
    """A relative, signed link (the widget frame is served by this site)."""
    def url(thumb: bool) -> str:
        if not attachment.file or (thumb and not attachment.thumbnail):
            return attachment.external_url or ""
        return reverse("api-attachment-file", kwargs={"account_id": attachment.account_id,
                                                      "token": attachment_token(attachment, thumb=thumb),
                                                      "name": attachment.file_name or "file"})

    return {"id": attachment.pk, "message_id": attachment.message_id, "file_type": attachment.file_type_name,
            "extension": attachment.extension or None, "data_url": url(False), "thumb_url": url(True),
            "file_size": attachment.file_size, "file_name": attachment.file_name, "width": attachment.width,
            "height": attachment.height}


def sender_json(message: Message, senders: dict) -> dict | None:
    sender = senders.get((message.sender_type, message.sender_id))
    if sender is None:
        return None
    if message.sender_type == "Contact":
        return {"id": sender.pk, "name": sender.name, "type": "contact"}
    name = getattr(sender, "available_name", None) or getattr(sender, "name", "")
    # Agents' pictures are served only to members, so the widget shows initials instead; bots' are public.
    bot = message.sender_type == "AgentBot"
    avatar = reverse("widget:bot-avatar", args=[sender.uid]) if bot and sender.avatar else ""
    return {"id": sender.pk, "name": name, "available_name": name, "avatar_url": avatar,
            "type": "agent_bot" if bot else "user"}


def load_senders(messages: list[Message]) -> dict:
    """{(sender_type, id): object} for a page of messages, in three queries at most."""
    from autonomia.models import User
    from contacts.models import Contact
    from inboxes.models import AgentBot

    models = {"User": User, "Contact": Contact, "AgentBot": AgentBot}
    senders = {}
    for kind, model in models.items():
        ids = {m.sender_id for m in messages if m.sender_type == kind and m.sender_id}
        for obj in model.objects.filter(pk__in=ids):
            senders[(kind, obj.pk)] = obj
    return senders


def message_json(message: Message, conversation: Conversation, senders: dict) -> dict:
    """Chatwoot's widget message, plus `content_html` (sanitised) and `echo_id` when the visitor sent one."""
    return {
        "id": message.pk, "content": message.content, "content_html": str(render_markdown(message.content)),
        "message_type": message.message_type, "content_type": Message.ContentType(message.content_type).label,
        "content_attributes": message.content_attributes, "created_at": epoch(message.created_at),
        "conversation_id": conversation.display_id, "status": message.status_name,
        "attachments": [attachment_json(a) for a in message.attachments.all()],
        "sender": sender_json(message, senders), "echo_id": getattr(message, "echo_id", None),
    }


def messages_json(messages: list[Message], conversation: Conversation) -> list[dict]:
    senders = load_senders(messages)
    return [message_json(m, conversation, senders) for m in messages]


def conversation_json(conversation: Conversation | None) -> dict | None:
    """The visitor's conversation: display id, status and when each side last read it."""
    if conversation is None:
        return None
    assignee = conversation.assignee
    return {"id": conversation.display_id, "status": conversation.status_name,
            "contact_last_seen_at": epoch(conversation.contact_last_seen_at, 0),
            "agent_last_seen_at": epoch(conversation.agent_last_seen_at, 0),
            "assignee": {"id": assignee.pk, "name": assignee.available_name} if assignee else None,
            "created_at": epoch(conversation.created_at), "unread_count": unread_count(conversation)}


def unread_count(conversation: Conversation) -> int:
    """Replies the visitor has not seen yet (the bubble's badge), at most 10."""
    replies = public_messages(conversation).filter(message_type__in=(Message.MessageType.OUTGOING,
                                                                     Message.MessageType.TEMPLATE))
    if conversation.contact_last_seen_at:
        replies = replies.filter(created_at__gt=conversation.contact_last_seen_at)
    return replies[:10].count()
