"""OpenAPI components of the JSON API: the wire shapes of the serializers (autonomia/openapi.py builds paths).

Each schema mirrors one serializer function; `required` lists the keys the function always writes, nullable
fields are typed `[..., "null"]` (OpenAPI 3.1 / JSON Schema 2020-12). Objects stay open
(additionalProperties is not restricted) so clients tolerate new keys, as Chatwoot's do.
"""

INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
OBJ = {"type": "object"}
ANY = {}
EPOCH = {"type": "integer", "description": "Unix timestamp (seconds)."}
ISO = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601 time in UTC."}


def null(schema: dict) -> dict:
    """The same schema, also allowing null."""
    if "$ref" in schema or "anyOf" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    kinds = kind if isinstance(kind, list) else [kind]
    return {**schema, "type": [*kinds, "null"] if "null" not in kinds else kinds}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def obj(properties: dict, *, optional: tuple = (), description: str | None = None) -> dict:
    """An object whose keys are all present except `optional` ones."""
    data = {"type": "object", "properties": properties,
            "required": [key for key in properties if key not in optional]}
    if description:
        data["description"] = description
    return data


def enum(*values, nullable: bool = False) -> dict:
    data = {"type": ["string", "null"] if nullable else "string", "enum": list(values)}
    if nullable:
        data["enum"].append(None)
    return data


CONTACT_FIELDS = {
    "additional_attributes": OBJ, "availability_status": STR, "email": null(STR), "id": INT, "name": STR,
    "phone_number": null(STR), "blocked": BOOL, "identifier": null(STR), "thumbnail": STR,
    "custom_attributes": OBJ, "last_activity_at": null(EPOCH), "created_at": EPOCH,
}

AGENT = obj({
    "id": INT, "account_id": null(INT), "availability_status": enum("online", "offline", "busy"),
    "auto_offline": BOOL, "confirmed": BOOL, "email": STR, "provider": STR, "available_name": STR,
    "custom_attributes": OBJ, "name": STR, "role": enum("agent", "administrator"), "thumbnail": STR,
    "custom_role_id": {"type": "null"},
}, description="An agent (the id is the user's id).")

SCHEMAS = {
    # --- Errors -----------------------------------------------------------------------------
    "Error": obj({"error": STR}, description="401 (token missing, invalid or not allowed), 404 (`Resource could "
                                             "not be found`), 400 (malformed JSON), 413, 429."),
    "ValidationError": obj({"message": STR, "attributes": array(STR)},
                           description="422: what is wrong and which fields."),
    # --- Contacts ---------------------------------------------------------------------------
    "ContactInboxInbox": obj({
        "id": INT, "avatar_url": STR, "channel_id": INT, "name": STR, "channel_type": STR, "greeting_enabled": BOOL,
        "greeting_message": STR, "working_hours_enabled": BOOL, "enable_email_collect": BOOL,
        "csat_survey_enabled": BOOL, "enable_auto_assignment": BOOL, "out_of_office_message": STR, "timezone": STR,
        "allow_messages_after_resolved": BOOL, "lock_to_single_conversation": BOOL, "webhook_url": STR,
        "inbox_identifier": STR,
    }, optional=("webhook_url", "inbox_identifier"), description="The inbox as embedded in a contact inbox."),
    "ContactInbox": obj({"source_id": STR, "inbox": ref("ContactInboxInbox")}),
    "Contact": obj({**CONTACT_FIELDS, "contact_inboxes": array(ref("ContactInbox"))},
                   optional=("contact_inboxes",)),
    "ContactNote": obj({
        "id": INT, "content": STR, "contact_id": INT, "user_id": null(INT), "created_at": EPOCH, "updated_at": EPOCH,
        "user": null(obj({"id": INT, "name": STR, "available_name": STR, "thumbnail": STR})),
    }),
    "ContactList": obj({"meta": obj({"count": INT, "current_page": INT}), "payload": array(ref("Contact"))}),
    # --- Senders and agents -----------------------------------------------------------------
    "ContactSender": obj({**CONTACT_FIELDS, "type": enum("contact")}, optional=(
        "availability_status", "last_activity_at", "created_at")),
    "UserSender": obj({"id": INT, "name": STR, "available_name": STR, "avatar_url": STR,
                       "availability_status": STR, "thumbnail": STR, "type": enum("user")}),
    "AgentBotSender": obj({"id": INT, "name": STR, "avatar_url": STR, "thumbnail": STR, "type": enum("agent_bot")}),
    "Agent": AGENT,
    # --- Messages ---------------------------------------------------------------------------
    "Attachment": obj({
        "id": INT, "message_id": INT, "file_type": STR, "account_id": INT, "extension": null(STR),
        "data_url": STR, "thumb_url": STR, "file_size": INT, "width": null(INT), "height": null(INT),
        "coordinates_lat": null(NUM), "coordinates_long": null(NUM), "fallback_title": STR, "transcribed_text": STR,
    }, optional=("coordinates_lat", "coordinates_long", "fallback_title", "transcribed_text")),
    "Message": obj({
        "id": INT, "content": STR, "inbox_id": INT,
        "conversation_id": {"type": "integer", "description": "The conversation's display id."},
        "message_type": {"type": "integer", "enum": [0, 1, 2, 3],
                         "description": "0 incoming, 1 outgoing, 2 activity, 3 template."},
        "content_type": STR, "status": enum("sent", "delivered", "read", "failed"),
        "content_attributes": OBJ, "created_at": EPOCH, "private": BOOL, "source_id": null(STR),
        "sender": {"anyOf": [ref("ContactSender"), ref("UserSender"), ref("AgentBotSender"), {"type": "null"}]},
        "additional_attributes": OBJ, "sender_type": null(STR), "sender_id": null(INT),
        "external_source_ids": OBJ, "processed_message_content": STR, "updated_at": EPOCH,
        "echo_id": STR, "attachments": array(ref("Attachment")),
        "conversation": obj({"assignee_id": null(INT), "unread_count": INT, "last_activity_at": null(EPOCH),
                             "contact_inbox": obj({"source_id": null(STR)})}),
    }, optional=("echo_id", "attachments", "conversation")),
    "MessageList": obj({
        "meta": obj({"labels": array(STR), "additional_attributes": OBJ, "contact": ref("Contact"),
                     "assignee": null(ref("Agent")), "agent_last_seen_at": null(EPOCH),
                     "assignee_last_seen_at": null(EPOCH)}),
        "payload": array(ref("Message")),
    }),
    # --- Conversations ----------------------------------------------------------------------
    "ConversationMeta": obj({
        "sender": ref("Contact"), "channel": STR, "hmac_verified": BOOL,
        "assignee": {"anyOf": [ref("Agent"), ref("AgentBotSender")]}, "assignee_type": enum("User", "AgentBot"),
        "team": obj({"id": INT, "name": STR}),
    }, optional=("assignee", "assignee_type", "team")),
    "Conversation": obj({
        "meta": ref("ConversationMeta"),
        "id": {"type": "integer", "description": "The display id (per account), used in paths."},
        "messages": array(ref("Message")), "account_id": INT, "uuid": {"type": "string", "format": "uuid"},
        "additional_attributes": OBJ, "agent_last_seen_at": EPOCH, "assignee_last_seen_at": EPOCH,
        "contact_last_seen_at": EPOCH, "can_reply": BOOL, "custom_attributes": OBJ, "inbox_id": INT,
        "labels": array(STR), "muted": BOOL, "snoozed_until": null({"type": "string", "format": "date-time"}),
        "status": enum("open", "resolved", "pending", "snoozed"), "created_at": EPOCH,
        "updated_at": null(NUM), "timestamp": null(EPOCH), "first_reply_created_at": EPOCH,
        "unread_count": INT, "last_non_activity_message": null(ref("Message")), "last_activity_at": null(EPOCH),
        "priority": enum("low", "medium", "high", "urgent", nullable=True), "waiting_since": EPOCH,
        "sla_policy_id": {"type": "null"},
    }),
    "ConversationCounts": obj({"mine_count": INT, "assigned_count": INT, "unassigned_count": INT,
                               "all_count": INT}),
    "ConversationList": obj({"data": obj({"meta": ref("ConversationCounts"),
                                          "payload": array(ref("Conversation"))})}),
    "ConversationFilterResult": obj({"meta": ref("ConversationCounts"), "payload": array(ref("Conversation"))}),
    "ConversationAttachment": {"allOf": [ref("Attachment"), obj({
        "created_at": EPOCH,
        "sender": {"anyOf": [ref("ContactSender"), ref("UserSender"), ref("AgentBotSender"), {"type": "null"}]},
    })]},
    "ToggleStatusResult": obj({"meta": OBJ, "payload": obj({
        "success": BOOL, "current_status": enum("open", "resolved", "pending", "snoozed"), "conversation_id": INT})}),
    "TeamAssignment": obj({"id": INT, "name": STR, "description": STR, "allow_auto_assign": BOOL, "account_id": INT}),
    "Payload": obj({"payload": array(STR)}, description="A list of label titles."),
    # --- Account resources ------------------------------------------------------------------
    "Team": obj({"id": INT, "name": STR, "description": STR, "allow_auto_assign": BOOL, "account_id": INT,
                 "is_member": BOOL}),
    "WorkingHour": obj({"day_of_week": {"type": "integer", "minimum": 0, "maximum": 6}, "closed_all_day": BOOL,
                        "open_hour": null(INT), "open_minutes": null(INT), "close_hour": null(INT),
                        "close_minutes": null(INT), "open_all_day": BOOL}),
    "Inbox": obj({
        "id": INT, "avatar_url": STR, "channel_id": INT, "name": STR, "channel_type": STR,
        "greeting_enabled": BOOL, "greeting_message": null(STR), "working_hours_enabled": BOOL,
        "enable_email_collect": BOOL, "csat_survey_enabled": BOOL, "csat_config": OBJ,
        "enable_auto_assignment": BOOL, "auto_assignment_config": obj({"max_assignment_limit": INT},
                                                                      optional=("max_assignment_limit",)),
        "out_of_office_message": null(STR), "working_hours": array(ref("WorkingHour")), "timezone": STR,
        "callback_webhook_url": {"type": "null"}, "allow_messages_after_resolved": BOOL,
        "lock_to_single_conversation": BOOL, "sender_name_type": enum("friendly", "professional"),
        "business_name": null(STR), "widget_color": {"type": "null"}, "website_url": {"type": "null"},
        "hmac_mandatory": null(BOOL), "welcome_title": {"type": "null"}, "welcome_tagline": {"type": "null"},
        "web_widget_script": {"type": "null"}, "website_token": {"type": "null"},
        "selected_feature_flags": {"type": "null"}, "reply_time": {"type": "null"},
        "messaging_service_sid": {"type": "null"}, "phone_number": {"type": "null"}, "provider": {"type": "null"},
        "hmac_token": {"type": "string", "description": "API inboxes, administrators only."},
        "webhook_url": null(STR), "inbox_identifier": STR, "additional_attributes": OBJ,
    }, optional=("hmac_token", "webhook_url", "inbox_identifier", "additional_attributes")),
    "AgentBot": obj({
        "id": INT, "name": STR, "description": STR, "thumbnail": STR, "outgoing_url": null(STR),
        "bot_type": enum("webhook"), "bot_config": OBJ, "account_id": null(INT), "system_bot": BOOL,
        "access_token": {"type": "string", "description": "Only for administrators of the bot's account "
                                                          "(and Platform apps)."},
    }, optional=("access_token",)),
    "AgentList": obj({"payload": array(ref("Agent"))}),
    "Label": obj({"id": INT, "title": STR, "description": STR, "color": STR, "show_on_sidebar": BOOL}),
    "CannedResponse": obj({"id": INT, "account_id": INT, "short_code": STR, "content": STR, "created_at": ISO,
                           "updated_at": ISO}),
    "CustomAttributeDefinition": obj({
        "id": INT, "attribute_display_name": STR,
        "attribute_display_type": enum("text", "number", "currency", "percent", "link", "date", "list",
                                       "checkbox"),
        "attribute_description": STR, "attribute_key": STR, "regex_pattern": null(STR), "regex_cue": null(STR),
        "attribute_values": ANY, "attribute_model": enum("conversation_attribute", "contact_attribute"),
        "default_value": ANY, "created_at": ISO, "updated_at": ISO,
    }),
    "CustomFilter": obj({"id": INT, "name": STR, "filter_type": enum("conversation", "contact", "report"),
                         "query": ANY, "created_at": ISO, "updated_at": ISO}),
    "Account": obj({
        "id": INT, "name": STR, "locale": STR, "domain": STR, "support_email": STR,
        "status": enum("active", "suspended"), "timezone": STR, "features": OBJ, "custom_attributes": OBJ,
        "settings": obj({"auto_resolve_after": null(INT), "auto_resolve_message": null(STR),
                         "auto_resolve_ignore_waiting": null(BOOL)}),
        "auto_resolve_after": null(INT), "auto_resolve_message": STR, "auto_resolve_ignore_waiting": BOOL,
        "created_at": ISO, "cache_keys": OBJ,
    }),
    "ProfileAccount": obj({
        "id": INT, "name": STR, "status": enum("active", "suspended"), "active_at": ISO,
        "role": enum("agent", "administrator"), "permissions": array(STR),
        "availability": enum("online", "offline", "busy"), "availability_status": enum("online", "offline", "busy"),
        "auto_offline": BOOL,
    }),
    "Profile": obj({
        "access_token": STR, "account_id": null(INT), "available_name": STR, "avatar_url": STR, "confirmed": BOOL,
        "display_name": null(STR), "message_signature": null(STR), "email": STR, "id": INT,
        "inviter_id": null(INT), "name": STR, "provider": STR, "pubsub_token": STR, "custom_attributes": OBJ,
        "role": enum("agent", "administrator", nullable=True), "ui_settings": OBJ, "uid": STR,
        "type": enum("User", "SuperAdmin"), "accounts": array(ref("ProfileAccount")),
    }, description="A user (GET /api/v1/profile, Platform API users)."),
    "Webhook": obj({"id": INT, "url": STR, "name": null(STR), "subscriptions": array(STR), "account_id": INT,
                    "inbox": null(obj({"id": INT, "name": STR}))}),
    "AccountUser": obj({"account_id": INT, "user_id": INT, "role": enum("agent", "administrator")}),
}
