"""OpenAPI paths of Chatwoot's widget API, `/api/v1/widget/…` (inboxes/widget_api.py).

No access token: `website_token` (query) names the widget and the visitor's identity JWT travels in the
`X-Auth-Token` header; answers that create or change the visitor return the new token in `X-Auth-Token`.
Cross-origin calls from outside the widget's allowed domains answer 404 like an unknown token.
"""

import copy

from autonomia.openapi_components import ANY, BOOL, INT, OBJ, STR, array, enum, null, obj

W = "/api/v1/widget"
JSON = "application/json"


def _error(description: str, schema: dict) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


ERROR = obj({"error": STR}, optional=("error",))
ERROR_WITH_FIELDS = {"type": "object", "properties": {"error": STR, "attributes": array(STR), "message": OBJ}}
VALIDATION = {"type": "object", "properties": {"message": STR, "attributes": array(STR)}}
RESPONSES = {
    "400": _error("Malformed JSON body.", ERROR),
    "401": _error("No valid visitor token, or a wrong identifier_hash (nothing is changed).", ERROR_WITH_FIELDS),
    "404": _error("Unknown website token, a site outside the allowed domains, or no such object.", ERROR),
    "413": _error("An attachment is over the size limit (the text is stored; `message` is the stored message).",
                  ERROR_WITH_FIELDS),
    "415": _error("An attachment type is refused (the text is stored; `message` is the stored message).",
                  ERROR_WITH_FIELDS),
    "422": _error("Validation failed.", VALIDATION),
    "429": {**_error("Too many requests, or more than 200 messages a minute in the conversation.",
                     ERROR_WITH_FIELDS), "headers": {"Retry-After": {"schema": INT}}},
}
PARAMETERS = [
    {"name": "website_token", "in": "query", "required": True, "schema": STR,
     "description": "The widget's public website token."},
    {"name": "X-Auth-Token", "in": "header", "required": False, "schema": STR,
     "description": "The visitor's identity token (JWT) from an earlier answer or the cw_conversation cookie."},
    {"name": "locale", "in": "query", "required": False, "schema": STR,
     "description": "The visitor's language for messages (pt-BR, en, es)."},
]

SENDER = null({"type": "object", "properties": {"id": INT, "name": STR, "type": STR}})
ATTACHMENT = {"type": "object", "properties": {
    "id": INT, "message_id": INT, "file_type": STR, "extension": null(STR), "data_url": STR, "thumb_url": STR,
    "file_size": INT, "file_name": STR, "width": null(INT), "height": null(INT)}}
MESSAGE = {"type": "object", "properties": {
    "id": INT, "content": STR, "content_html": STR, "message_type": INT, "content_type": STR,
    "content_attributes": OBJ, "created_at": INT, "conversation_id": INT, "status": STR,
    "attachments": array(ATTACHMENT), "sender": SENDER, "echo_id": null(STR)}}
CONVERSATION = {"type": "object", "properties": {
    "id": INT, "status": enum("open", "resolved", "pending", "snoozed"), "contact_last_seen_at": INT,
    "agent_last_seen_at": INT, "assignee": null({"type": "object"}), "created_at": INT, "unread_count": INT,
    "messages": array(MESSAGE)}}
VISITOR = {"type": "object", "properties": {
    "id": INT, "name": STR, "email": null(STR), "phone_number": null(STR), "identifier": null(STR),
    "pubsub_token": STR, "source_id": STR, "hmac_verified": BOOL, "widget_auth_token": STR}}
CONFIG = {"type": "object", "properties": {"website_channel_config": OBJ, "contact": null(VISITOR),
                                           "conversation": null(CONVERSATION)}}
ARTICLE = {"type": "object", "properties": {
    "id": INT, "title": STR, "description": STR, "locale": STR, "content_html": STR, "link": STR, "portal_slug": STR}}
CONTACT_FIELDS = {"name": STR, "email": STR, "phone_number": STR, "custom_attributes": OBJ,
                  "additional_attributes": OBJ}


def _op(summary: str, ok: dict | None, *, errors=(), request: dict | None = None, description: str = "") -> dict:
    if ok is None:
        success = {"description": "Done; the body is empty.",
                   "content": {"text/html": {"schema": {"type": "string", "maxLength": 0}}}}
    else:
        success = {"description": "OK", "content": {JSON: {"schema": ok}}}
    codes = {"401", "404", "429", *map(str, errors)}
    if request is not None:
        codes |= {"400", "422"}
    data = {"summary": summary, "tags": ["Widget"], "security": [], "parameters": copy.deepcopy(PARAMETERS),
            "responses": {"200": success, **{code: copy.deepcopy(RESPONSES[code]) for code in sorted(codes)}}}
    if request is not None:
        data["requestBody"] = {"required": False, "content": request}
    if description:
        data["description"] = description
    return data


def _no_content(operation: dict) -> dict:
    """Answered with 204 and no body (Chatwoot's `head :no_content`)."""
    operation["responses"] = {"204": {"description": "Done; no body."},
                              **{k: v for k, v in operation["responses"].items() if k != "200"}}
    return operation


def _json(schema: dict) -> dict:
    return {JSON: {"schema": schema}}


def widget_paths() -> dict:
    keys = _json({"type": "object", "properties": {"custom_attributes": array(STR)}})
    label = {"type": "object", "properties": {"label": STR}}
    message_body = {**_json({"type": "object", "properties": {"message": {"type": "object", "properties": {
        "content": STR, "echo_id": STR, "referer_url": STR}}}}),
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "message[content]": STR, "message[echo_id]": STR,
            "message[attachments][]": array({"type": "string", "format": "binary"})}}}}
    return {
        W + "/config": {"post": _op("The widget's settings, the visitor and their conversation", CONFIG)},
        W + "/contact": {
            "get": _op("The visitor", VISITOR),
            "patch": _op("Update the visitor (custom_attributes are merged)", VISITOR,
                         request=_json({"type": "object", "properties": CONTACT_FIELDS}))},
        W + "/contact/set_user": {
            "patch": _op("$chatwoot.setUser: identify the visitor (identifier_hash = HMAC-SHA256)", VISITOR,
                         request=_json({"type": "object", "properties": {
                             "identifier": STR, "identifier_hash": STR, **CONTACT_FIELDS}}),
                         description="A wrong or (when mandatory) missing identifier_hash answers 401 and changes "
                                     "nothing; a different person on this browser gets a new token.")},
        W + "/contact/destroy_custom_attributes": {
            "post": _op("Remove custom attributes of the visitor", VISITOR, request=keys)},
        W + "/conversations": {
            "get": _op("The visitor's current conversation with its latest messages", CONVERSATION),
            "post": _op("Start a conversation (the pre-chat form)", CONVERSATION, request=_json({
                "type": "object", "properties": {"contact": {"type": "object", "properties": CONTACT_FIELDS},
                                                 "message": {"type": "object", "properties": {
                                                     "content": STR, "referer_url": STR}},
                                                 "custom_attributes": OBJ}}))},
        W + "/conversations/update_last_seen": {"post": _op("The visitor has read the conversation", None)},
        W + "/conversations/toggle_typing": {
            "post": _op("The visitor is typing (on) or stopped (off)", None, request=_json(
                {"type": "object", "properties": {"typing_status": enum("on", "off")}}))},
        W + "/conversations/toggle_status": {
            "get": _op("The visitor ends the conversation", CONVERSATION)},
        W + "/conversations/set_custom_attributes": {
            "post": _op("Merge custom attributes into the conversation", CONVERSATION,
                        request=_json({"type": "object", "properties": {"custom_attributes": OBJ}}))},
        W + "/conversations/destroy_custom_attributes": {
            "post": _op("Remove custom attributes of the conversation", CONVERSATION,
                        request=_json({"type": "object", "properties": {"custom_attribute": array(STR)}}))},
        W + "/messages": {
            "get": _op("The latest public messages (before / after a message id)", array(MESSAGE)),
            "post": _op("Send the visitor's message (a conversation starts when needed)", MESSAGE,
                        errors=(413, 415), request=message_body)},
        W + "/messages/{message_id}": {
            "parameters": [{"name": "message_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}}],
            "patch": _op("Answer an interactive message (submitted_values, or contact.email)", MESSAGE,
                         request=_json({"type": "object", "properties": {"message": OBJ, "contact": OBJ}}))},
        W + "/labels": {
            "post": _op("$chatwoot.setLabel on the current conversation", obj({"labels": array(STR)}),
                        request=_json(label)),
            "delete": _op("$chatwoot.removeLabel (label in the body)", obj({"labels": array(STR)}),
                          request=_json(label))},
        W + "/labels/{label}": {
            "parameters": [{"name": "label", "in": "path", "required": True, "schema": STR}],
            "post": _op("$chatwoot.setLabel", obj({"labels": array(STR)})),
            "delete": _op("$chatwoot.removeLabel", obj({"labels": array(STR)}))},
        W + "/inbox_members": {"get": _op("The inbox's agents (names only)", obj({"payload": array(ANY)}))},
        W + "/articles/{article_id}": {
            "parameters": [{"name": "article_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}}],
            "get": _op("A published article of the inbox's public help center, to read inside the widget",
                       ARTICLE, description="Not Chatwoot's. The view is counted by the portal's "
                                            "POST /hc/{slug}/articles/{id}/view, not here.")},
        W + "/events": {"post": _no_content(_op(
            "The visitor opened the widget (name webwidget.triggered): the inbox's agent bot and subscribed "
            "webhooks get webwidget_triggered", None, request=_json({"type": "object", "properties": {
                "name": STR, "event_info": OBJ}})))},
    }
