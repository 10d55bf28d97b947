"""The OpenAPI 3.1 document of the JSON API (/api/v1, /platform/api/v1), built from Python.

Served at GET /api/v1/openapi.json; browsable at /api/docs/ (autonomia/views_docs.py). Shapes live in
autonomia/openapi_components.py. Every route of the URL conf under api/ and platform/ must appear here:
tests/api/test_openapi.py walks the resolver and compares, methods included (each `api_view` knows its
methods). Paths are written without the trailing slash; the account-scoped conversations and contacts routes
also answer with one.

Error bodies are those of autonomia/api.py: 401/404/400/413/429 `{"error"}`, 422 `{"message", "attributes"}`.
"""

import copy
import functools

from autonomia.openapi_widget import widget_paths
from autonomia.openapi_components import ANY, BOOL, INT, OBJ, SCHEMAS, STR, array, enum, null, obj, ref

ACCOUNT = "/api/v1/accounts/{account_id}"
PLATFORM = "/platform/api/v1"
USER_SECURITY = [{"api_access_token": []}, {"bearer": []}]
PLATFORM_SECURITY = [{"platform_token": []}]


# --- Building blocks -----------------------------------------------------------------------

def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


RESPONSES = {
    "400": {"description": "Malformed JSON body.", "content": json_content(ref("Error"))},
    "401": {"description": "Missing or invalid token, or a role / token kind that may not do this.",
            "content": json_content(ref("Error"))},
    "404": {"description": "Resource could not be found (also for objects of other accounts).",
            "content": json_content(ref("Error"))},
    "413": {"description": "The request body is too large.", "content": json_content(ref("Error"))},
    "422": {"description": "Validation failed.", "content": json_content(ref("ValidationError"))},
    "429": {"description": "Too many requests (see Retry-After).", "content": json_content(ref("Error")),
            "headers": {"Retry-After": {"schema": INT}}},
}
EMPTY = {"description": "Done; the body is empty.",
         "content": {"text/html": {"schema": {"type": "string", "maxLength": 0}}}}


def ID(name: str, description: str = "") -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}}


def query(name: str, schema: dict, description: str = "") -> dict:
    data = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if schema.get("type") == "array":
        data.update(style="form", explode=True)
    return data


PAGE = query("page", {"type": "integer", "minimum": 1, "maximum": 10_000}, "Page number (1-based).")


def body(schema: dict, *, multipart: dict | None = None, form: bool = True, required: bool = False,
         example: dict | None = None) -> dict:
    """A request body: JSON, and the same fields as a form (the plumbing accepts both). The `example` is a
    body that succeeds (ids are the caller's; tests/api/test_schemathesis.py sends it with seeded ids)."""
    content = json_content(schema)
    if example is not None:
        content["application/json"]["example"] = example
    if multipart is not None:
        content["multipart/form-data"] = {"schema": multipart}
    elif form:
        content["application/x-www-form-urlencoded"] = {"schema": _form_schema(schema)}
    return {"required": required, "content": content}


def _form_schema(schema: dict) -> dict:
    """Form posts carry only flat string fields; nested objects stay JSON-only."""
    props = {}
    for key, value in schema.get("properties", {}).items():
        kinds = value.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if set(kinds) - {"null"} <= {"string", "integer", "boolean"} and "enum" not in value:
            props[key] = STR
    return {"type": "object", "properties": props}


def operation(summary: str, ok: dict | None, *, tag: str, params: tuple = (), request: dict | None = None,
              errors: tuple = (401, 404, 422), description: str = "", empty: bool = False,
              security: list | None = None) -> dict:
    """One operation; `ok` is the 200 body schema (None: empty body), `empty` adds the empty-body 200 variant."""
    if ok is None:
        success = copy.deepcopy(EMPTY)
    else:
        success = {"description": "OK", "content": json_content(ok)}
        if empty:
            success["content"].update(copy.deepcopy(EMPTY["content"]))
            success["description"] = "OK (an empty body where noted)."
    responses = {"200": success}
    codes = set(errors) | {401, 429}
    if request is not None:
        codes |= {400, 413, 422}
    if any(p.get("in") == "query" for p in params):
        codes.add(422)  # the plumbing refuses NUL characters and invalid Unicode in any field
    for code in sorted(codes):
        responses[str(code)] = copy.deepcopy(RESPONSES[str(code)])
    data = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        data["description"] = description
    if params:
        data["parameters"] = list(params)
    if request is not None:
        data["requestBody"] = request
    if security is not None:
        data["security"] = security
    return data


# --- Request bodies ------------------------------------------------------------------------

def props(**fields) -> dict:
    return {"type": "object", "properties": fields}


INT_OR_STR = {"type": ["integer", "string"], "description": "An integer (numeric strings are accepted)."}
NULL_INT_OR_STR = {"type": ["integer", "string", "null"]}
TIME = {"type": ["integer", "string", "null"], "description": "Unix timestamp or ISO 8601 time."}
STATUS = enum("open", "resolved", "pending", "snoozed")
PRIORITY = enum("low", "medium", "high", "urgent", "none", nullable=True)
FILTER_PAYLOAD = props(payload=array(props(attribute_key=STR, filter_operator=STR, values=ANY,
                                           query_operator=null(STR))))
CONTACT_FIELDS = props(name=null(STR), email=null(STR), phone_number=null(STR), identifier=null(STR),
                       additional_attributes=OBJ, custom_attributes=OBJ, blocked=ANY, location=null(STR),
                       country_code=null(STR))
CONVERSATION_CREATE = props(
    inbox_id=INT_OR_STR, contact_id=NULL_INT_OR_STR, source_id=null(STR), status=STATUS,
    assignee_id=NULL_INT_OR_STR, team_id=NULL_INT_OR_STR, additional_attributes=null(OBJ),
    custom_attributes=null(OBJ), snoozed_until=TIME,
    message=props(content=null(STR), private=BOOL, message_type=enum("outgoing", "incoming", "template")))
CONVERSATION_CREATE["required"] = ["inbox_id"]
MESSAGE_CREATE = props(
    content=STR, message_type=enum("outgoing", "incoming", "template"), private=BOOL,
    content_type=STR, content_attributes=OBJ, source_id=null(STR), echo_id=null(STR))
MESSAGE_MULTIPART = props(
    content=STR, message_type=enum("outgoing", "incoming", "template"), private=STR, content_type=STR,
    content_attributes={"type": "string", "description": "A JSON object as text."}, source_id=STR, echo_id=STR,
    **{"attachments[]": array({"type": "string", "format": "binary"})})
INBOX_FIELDS = {
    "name": STR, "greeting_enabled": BOOL, "working_hours_enabled": BOOL, "enable_auto_assignment": BOOL,
    "lock_to_single_conversation": BOOL, "allow_messages_after_resolved": BOOL, "enable_email_collect": BOOL,
    "csat_survey_enabled": BOOL, "greeting_message": null(STR), "out_of_office_message": null(STR),
    "business_name": null(STR), "timezone": STR, "sender_name_type": enum("friendly", "professional"),
    "auto_assignment_config": props(max_assignment_limit=null(INT)),
    "working_hours": array(props(day_of_week=INT, closed_all_day=BOOL, open_all_day=BOOL, open_hour=null(INT),
                                 open_minutes=null(INT), close_hour=null(INT), close_minutes=null(INT))),
}
BOT_FIELDS = {"name": STR, "description": null(STR), "outgoing_url": null(STR), "bot_config": OBJ}
LABEL_FIELDS = props(title=STR, color=STR, description=STR, show_on_sidebar=BOOL)
ATTRIBUTE_FIELDS = props(
    attribute_display_name=STR, attribute_key=STR, attribute_description=null(STR), regex_pattern=null(STR),
    regex_cue=null(STR), attribute_display_type=STR, attribute_model=STR, attribute_values=ANY,
    default_value={"type": ["string", "number", "boolean", "null"]})
FILTER_FIELDS = props(name=STR, filter_type=STR, type=STR, query=OBJ, custom_filter=OBJ)
ACCOUNT_FIELDS = props(name=STR, locale=STR, timezone=STR, domain=STR, support_email=null(STR),
                       auto_resolve_after=NULL_INT_OR_STR, auto_resolve_message=STR, auto_resolve_ignore_waiting=BOOL)
AGENT_FIELDS = props(name=STR, email=STR, role=enum("agent", "administrator"),
                     availability=enum("online", "offline", "busy"),
                     availability_status=enum("online", "offline", "busy"), auto_offline=BOOL)
USER_IDS = props(user_ids=array(INT))
USER_IDS["required"] = ["user_ids"]
WEBHOOK_FIELDS = props(url=STR, name=null(STR), subscriptions=array(STR), inbox_id=NULL_INT_OR_STR,
                       enabled=BOOL, webhook=OBJ)
PROFILE_FIELDS = props(name=STR, display_name=STR, message_signature=STR, locale=STR, timezone=STR,
                       ui_settings=OBJ, profile=OBJ)
ACCOUNT_ID_BODY = props(account_id=INT_OR_STR, profile=OBJ)


# --- Paths ---------------------------------------------------------------------------------

def conversation_extra_paths(acc: dict, conv: dict, C: str) -> dict:
    """Mute / unmute, transcript, reply drafts (conversations/api_extra.py) and bulk actions (api_bulk.py)."""
    T = {"tag": "Conversations"}
    draft = obj({"has_draft": BOOL, "message": STR}, optional=("message",))
    bulk = props(type=enum("Conversation", "conversation"), ids=array(INT_OR_STR),
                 fields=props(status=null(STATUS), assignee_id=NULL_INT_OR_STR, team_id=NULL_INT_OR_STR,
                              snoozed_until=TIME),
                 snoozed_until=TIME, labels=props(add=array(STR), remove=array(STR)))
    bulk["required"] = ["type", "ids"]
    return {
        C + "/mute": {
            "parameters": [acc, conv],
            "post": operation("Mute: resolve and block the contact (their messages stop reopening it)", None,
                              **T)},
        C + "/unmute": {
            "parameters": [acc, conv],
            "post": operation("Unmute: unblock the contact", None, **T)},
        C + "/transcript": {
            "parameters": [acc, conv],
            "post": operation("Email the transcript (public messages) to an address", None, request=body(
                {**props(email=STR), "required": ["email"]}, example={"email": "cliente@example.com"}),
                description="Sent in the background; at most 20 per member per hour (429 beyond).", **T)},
        C + "/draft_messages": {
            "parameters": [acc, conv],
            "get": operation("The caller's reply draft", draft, **T),
            **{method: operation("Keep the caller's reply draft", None, request=body(
                props(draft_message=props(message=STR), message=STR), form=False,
                example={"draft_message": {"message": "Olá! Já verifico"}}), **T) for method in ("patch", "put")},
            "delete": operation("Forget the caller's reply draft", None, **T)},
        ACCOUNT + "/bulk_actions": {
            "parameters": [acc],
            "post": operation("Change many conversations at once (applied in the background)", obj({}),
                              request=body(bulk, form=False, example={
                                  "type": "Conversation", "ids": [1], "fields": {"status": "open"},
                                  "labels": {"add": ["vip"]}}),
                              description="Answers `{}` at once; conversations the caller cannot see are "
                                          "skipped, and so is one whose change a rule refuses.", **T)},
    }


def account_paths() -> dict:
    acc = ID("account_id", "The account.")
    conv = ID("display_id", "The conversation's display id.")
    contact = ID("contact_id")
    C = ACCOUNT + "/conversations/{display_id}"
    conv_query = (
        query("assignee_type", enum("me", "unassigned", "assigned", "all")),
        query("status", enum("open", "resolved", "pending", "snoozed", "all")),
        query("inbox_id", INT), query("team_id", INT), query("labels[]", array(STR)), query("label", STR),
        query("priority", enum("low", "medium", "high", "urgent", "none")),
        query("conversation_type", enum("mention", "participating", "unattended")), query("q", STR),
        query("sort_by", STR), PAGE, query("source_id", STR, "The contact's id in the inbox."),
        query("updated_within", {"type": "integer", "minimum": 0, "maximum": 10**9},
              "Seconds: every conversation updated since then, unpaged (at most 1000)."))
    contact_list_query = (PAGE, query("sort", STR), query("labels[]", array(STR)),
                          query("include_contact_inboxes", enum("true", "false")))
    conversation = ref("Conversation")
    T = {"tag": "Conversations"}
    M = {"tag": "Messages"}
    K = {"tag": "Contacts"}
    paths = {
        ACCOUNT: {
            "parameters": [acc],
            "get": operation("Show the account", ref("Account"), tag="Account", errors=(404,)),
            "patch": operation("Update the account (administrators)", ref("Account"), tag="Account",
                               request=body(ACCOUNT_FIELDS)),
            "put": operation("Update the account (administrators)", ref("Account"), tag="Account",
                             request=body(ACCOUNT_FIELDS)),
        },
        ACCOUNT + "/conversations": {
            "parameters": [acc],
            "get": operation("List conversations (25 per page, with folder counts)", ref("ConversationList"),
                             params=conv_query, errors=(404,), **T),
            "post": operation("Create a conversation", conversation, request=body(
                CONVERSATION_CREATE, example={"inbox_id": 1, "contact_id": 1, "message": {"content": "Olá!"}}),
                              description="`inbox_id` plus `contact_id` or `source_id`. Agent bots may call it.",
                              **T),
        },
        ACCOUNT + "/conversations/meta": {
            "parameters": [acc],
            "get": operation("Folder counts", obj({"meta": ref("ConversationCounts")}), params=conv_query,
                             errors=(404,), **T)},
        ACCOUNT + "/conversations/search": {
            "parameters": [acc],
            "get": operation("Search conversations (every status unless `status` is given)",
                             ref("ConversationList"), params=conv_query, errors=(404,), **T)},
        ACCOUNT + "/conversations/filter": {
            "parameters": [acc],
            "post": operation("Advanced conversation filter", ref("ConversationFilterResult"), params=(PAGE,),
                              request=body(FILTER_PAYLOAD, form=False, example={"payload": [
                                  {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"],
                                   "query_operator": None}]}), **T)},
        C: {
            "parameters": [acc, conv],
            "get": operation("Show a conversation", conversation, errors=(404,), **T),
            "patch": operation("Update a conversation (priority)", conversation,
                               request=body(props(priority=PRIORITY)), **T),
            "put": operation("Update a conversation (priority)", conversation,
                             request=body(props(priority=PRIORITY)), **T),
            "delete": operation("Delete a conversation (administrators)", None, **T),
        },
        C + "/toggle_status": {
            "parameters": [acc, conv],
            "post": operation("Set or toggle the status", ref("ToggleStatusResult"),
                              request=body(props(status=STATUS, snoozed_until=TIME),
                                           example={"status": "pending"}), **T)},
        C + "/toggle_priority": {
            "parameters": [acc, conv],
            "post": operation("Set the priority", None,
                              request=body({**props(priority=PRIORITY), "required": ["priority"]},
                                           example={"priority": "high"}), **T)},
        C + "/toggle_typing_status": {
            "parameters": [acc, conv],
            "post": operation("Typing indicator", None, request=body(
                {**props(typing_status=enum("on", "off", "recording"), is_private=BOOL),
                 "required": ["typing_status"]}, example={"typing_status": "on"}), **T)},
        C + "/update_last_seen": {
            "parameters": [acc, conv],
            "post": operation("Mark the conversation seen", conversation, **T)},
        C + "/unread": {
            "parameters": [acc, conv],
            "post": operation("Mark the conversation unread", conversation, **T)},
        C + "/custom_attributes": {
            "parameters": [acc, conv],
            "post": operation("Replace the custom attributes", obj({"custom_attributes": OBJ}),
                              request=body({**props(custom_attributes=OBJ), "required": ["custom_attributes"]},
                                           form=False, example={"custom_attributes": {"plan": "gold"}}), **T)},
        C + "/assignments": {
            "parameters": [acc, conv],
            "post": operation(
                "Assign an agent, an agent bot or a team",
                {"anyOf": [ref("Agent"), ref("AgentBotSender"), ref("TeamAssignment")]}, empty=True,
                request=body(props(assignee_id=NULL_INT_OR_STR, assignee_type=enum("User", "AgentBot"),
                                   team_id=NULL_INT_OR_STR), example={"assignee_id": 1}),
                description="Answers the assignee (agent or bot), the team, or an empty body when unassigning.",
                **T)},
        C + "/labels": {
            "parameters": [acc, conv],
            "get": operation("The conversation's labels", ref("Payload"), **T),
            "post": operation("Replace the conversation's labels", ref("Payload"),
                              request=body(props(labels=array(STR)), form=False, example={"labels": ["vip"]}),
                              **T)},
        C + "/participants": {
            "parameters": [acc, conv],
            "get": operation("Participating agents", array(ref("Agent")), **T),
            **{method: operation(f"{verb} participants", array(ref("Agent")),
                                 request=body(USER_IDS, form=False, example={"user_ids": [1]}), **T)
               for method, verb in (("post", "Add"), ("patch", "Replace"), ("delete", "Remove"))},
        },
        **conversation_extra_paths(acc, conv, C),
        C + "/attachments": {
            "parameters": [acc, conv],
            "get": operation("The conversation's attachments (100 per page)",
                             obj({"meta": obj({"total_count": INT}), "payload": array(ref("ConversationAttachment"))}),
                             params=(PAGE,), **T)},
        C + "/messages": {
            "parameters": [acc, conv],
            "get": operation("A window of messages", ref("MessageList"),
                             params=(query("before", {"type": "integer", "minimum": 0}),
                                     query("after", {"type": "integer", "minimum": 0})), **M),
            "post": operation("Send a message (JSON, or multipart with attachments[])", ref("Message"),
                              request=body(MESSAGE_CREATE, multipart=MESSAGE_MULTIPART,
                                           example={"content": "Olá! Como posso ajudar?"}), **M)},
        C + "/messages/{message_id}": {
            "parameters": [acc, conv, ID("message_id")],
            **{method: operation("Update the delivery status (API inboxes)", ref("Message"), request=body(
                {**props(status=enum("sent", "delivered", "read", "failed"), external_error=null(STR)),
                 "required": ["status"]}, example={"status": "read"}), **M) for method in ("patch", "put")},
            "delete": operation("Delete a message (soft)", ref("Message"), **M)},
        ACCOUNT + "/attachments/{token}/{name}": {
            "parameters": [acc, {"name": "token", "in": "path", "required": True, "schema": STR},
                           {"name": "name", "in": "path", "required": True, "schema": STR}],
            "get": {"summary": "Download an attachment by its signed URL (data_url / thumb_url)",
                    "tags": ["Messages"], "security": [],
                    "responses": {
                        "200": {"description": "The file.",
                                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
                        "404": {"description": "Unknown, expired or tampered link.",
                                "content": {"text/html": {"schema": STR}}}}}},
        # --- Contacts ---
        ACCOUNT + "/contacts": {
            "parameters": [acc],
            "get": operation("List contacts (15 per page)", ref("ContactList"), params=contact_list_query,
                             errors=(404,), **K),
            "post": operation("Create a contact (optionally in an inbox)", obj({"payload": obj({
                "contact": ref("Contact"), "contact_inbox": null(ref("ContactInbox"))})}),
                request=body({**CONTACT_FIELDS, "properties": {**CONTACT_FIELDS["properties"],
                                                                "inbox_id": NULL_INT_OR_STR,
                                                                "source_id": null(STR)}},
                             example={"name": "Maria Souza", "email": "maria@example.com", "inbox_id": 1}), **K)},
        ACCOUNT + "/contacts/search": {
            "parameters": [acc],
            "get": operation("Search contacts", ref("ContactList"), params=(query("q", STR), *contact_list_query),
                             errors=(404,), **K)},
        ACCOUNT + "/contacts/filter": {
            "parameters": [acc],
            "post": operation("Advanced contact filter", ref("ContactList"),
                              params=(PAGE, query("sort", STR), query("include_contact_inboxes",
                                                                      enum("true", "false"))),
                              request=body(FILTER_PAYLOAD, form=False, example={"payload": [
                                  {"attribute_key": "name", "filter_operator": "contains", "values": ["a"],
                                   "query_operator": None}]}), **K)},
        ACCOUNT + "/contacts/{contact_id}": {
            "parameters": [acc, contact],
            "get": operation("Show a contact", obj({"payload": ref("Contact")}), errors=(404,), **K),
            "put": operation("Update a contact", obj({"payload": ref("Contact")}),
                             request=body(CONTACT_FIELDS, example={"name": "Carla C."}), **K),
            "patch": operation("Update a contact", obj({"payload": ref("Contact")}),
                               request=body(CONTACT_FIELDS), **K),
            "delete": operation("Delete a contact (administrators)", None, **K)},
        ACCOUNT + "/contacts/{contact_id}/conversations": {
            "parameters": [acc, contact],
            "get": operation("The contact's conversations", obj({"payload": array(conversation)}), errors=(404,),
                             **K)},
        # Contacts: active, import, export, contactable inboxes (contacts/api.py)
        ACCOUNT + "/contacts/active": {
            "parameters": [acc],
            "get": operation("Contacts active now (a message in the last 5 minutes)", ref("ContactList"),
                             params=contact_list_query, errors=(404,), **K)},
        ACCOUNT + "/contacts/import": {
            "parameters": [acc],
            "post": operation(
                "Import contacts from a CSV (administrators; processed in the background)", None,
                request={"required": True, "content": {"multipart/form-data": {"schema": {
                    **props(import_file={"type": "string", "format": "binary"}), "required": ["import_file"]}}}},
                description="Columns name, email, phone_number, identifier, company, city; any other column is "
                            "a custom attribute. A row updates the contact with its identifier, email or phone, "
                            "else creates one; rejected rows are emailed to the caller.", **K)},
        ACCOUNT + "/contacts/export": {
            "parameters": [acc],
            "post": operation(
                "Export contacts as CSV, emailed as a signed link (administrators)", None,
                request=body(props(column_names=array(STR), payload=array(OBJ), label=null(STR)),
                             example={"column_names": ["id", "name", "email", "phone_number"]}),
                description="`column_names` (default id, name, email, phone_number) from Chatwoot's contact "
                            "columns; `payload` (filter rows, as POST contacts/filter) or `label` narrow it.", **K)},
        ACCOUNT + "/contacts/{contact_id}/contactable_inboxes": {
            "parameters": [acc, contact],
            "get": operation("Inboxes that can start a conversation with the contact",
                             obj({"payload": array(ref("ContactInbox"))}), errors=(404,), **K)},
        ACCOUNT + "/contacts/{contact_id}/contact_inboxes": {
            "parameters": [acc, contact],
            "post": operation("Give the contact an identity in an inbox", ref("ContactInbox"), request=body(
                {**props(inbox_id=INT_OR_STR, source_id=null(STR)), "required": ["inbox_id"]},
                example={"inbox_id": 1, "source_id": "carla-api-2"}), **K)},
        ACCOUNT + "/contacts/{contact_id}/labels": {
            "parameters": [acc, contact],
            "get": operation("The contact's labels", ref("Payload"), errors=(404,), **K),
            "post": operation("Replace the contact's labels", ref("Payload"),
                              request=body(props(labels=array(STR)), form=False, example={"labels": ["vip"]}),
                              **K)},
        ACCOUNT + "/contacts/{contact_id}/notes": {
            "parameters": [acc, contact],
            "get": operation("The contact's notes", array(ref("ContactNote")), errors=(404,), **K),
            "post": operation("Add a note", ref("ContactNote"), request=body(
                {**props(content=STR), "required": ["content"]}, example={"content": "Prefers WhatsApp."}), **K)},
        ACCOUNT + "/contacts/{contact_id}/notes/{note_id}": {
            "parameters": [acc, contact, ID("note_id")],
            "get": operation("Show a note", ref("ContactNote"), errors=(404,), **K),
            **{method: operation("Edit a note", ref("ContactNote"),
                                 request=body({**props(content=STR), "required": ["content"]}), **K)
               for method in ("patch", "put")},
            "delete": operation("Delete a note", None, **K)},
        ACCOUNT + "/actions/contact_merge": {
            "parameters": [acc],
            "post": operation("Merge two contacts", ref("Contact"), request=body(
                {**props(base_contact_id=INT_OR_STR, mergee_contact_id=INT_OR_STR),
                 "required": ["base_contact_id", "mergee_contact_id"]}), **K)},
    }
    paths.update(resource_paths(acc))
    return paths


def crud(base: str, key: str, schema: dict, fields: dict, *, tag: str, acc: dict, name: str,
         list_schema: dict | None = None, list_params: tuple = (), list_errors: tuple = (404,),
         methods: tuple = ("get", "patch", "put", "delete"), create: bool = True, delete_ok=None,
         example: dict | None = None) -> dict:
    item = ref(schema) if isinstance(schema, str) else schema
    collection = {"parameters": [acc],
                  "get": operation(f"List {name}s", list_schema or array(item), tag=tag, params=list_params,
                                   errors=list_errors)}
    if create:
        collection["post"] = operation(f"Create a {name}", item, tag=tag, request=body(fields, example=example))
    detail = {"parameters": [acc, ID(key)]}
    for method in methods:
        if method == "get":
            detail["get"] = operation(f"Show a {name}", item, tag=tag, errors=(404,))
        elif method == "delete":
            detail["delete"] = operation(f"Delete a {name}", delete_ok, tag=tag)
        else:
            detail[method] = operation(f"Update a {name}", item, tag=tag, request=body(fields))
    return {base: collection, f"{base}/{{{key}}}": detail}


def resource_paths(acc: dict) -> dict:
    inbox = ID("inbox_id")
    agents = ref("AgentList")
    inbox_body = props(**INBOX_FIELDS, channel=props(type=enum("api"), webhook_url=null(STR),
                                                      hmac_mandatory=BOOL))
    paths = {
        **crud(ACCOUNT + "/canned_responses", "canned_id", "CannedResponse",
               props(short_code=STR, content=STR), tag="Canned responses", acc=acc, name="canned response",
               example={"short_code": "hello", "content": "Hello, {{contact.name}}!"},
               list_params=(query("search", STR),)),
        **crud(ACCOUNT + "/labels", "label_id", "Label", LABEL_FIELDS, tag="Labels", acc=acc, name="label",
               example={"title": "billing", "color": "#1f93ff", "description": "Billing questions"},
               list_schema=obj({"payload": array(ref("Label"))})),
        **crud(ACCOUNT + "/custom_attribute_definitions", "definition_id", "CustomAttributeDefinition",
               ATTRIBUTE_FIELDS, tag="Custom attributes", acc=acc, name="custom attribute definition",
               example={"attribute_display_name": "Plan", "attribute_key": "plan", "attribute_display_type": "text",
                        "attribute_model": "contact_attribute"},
               list_params=(query("attribute_model", enum("conversation_attribute", "contact_attribute",
                                                          "conversation", "contact", "0", "1")),),
               list_errors=(404, 422)),
        **crud(ACCOUNT + "/custom_filters", "filter_id", "CustomFilter", FILTER_FIELDS, tag="Custom filters",
               acc=acc, name="custom filter",
               example={"name": "Open", "filter_type": "conversation", "query": {"payload": []}},
               list_params=(query("filter_type", enum("conversation", "contact", "report", "0", "1", "2")),),
               list_errors=(404, 422)),
        **crud(ACCOUNT + "/webhooks", "webhook_id", obj({"payload": obj({"webhook": ref("Webhook")})}),
               WEBHOOK_FIELDS, tag="Webhooks", acc=acc, name="webhook",
               example={"url": "https://93.184.215.14/hook", "subscriptions": ["webwidget_triggered"]},
               list_schema=obj({"payload": obj({"webhooks": array(ref("Webhook"))})})),
        **crud(ACCOUNT + "/agent_bots", "bot_id", "AgentBot", props(**BOT_FIELDS), tag="Agent bots", acc=acc,
               name="agent bot", example={"name": "Helper", "outgoing_url": "https://example.com/bot"}),
        ACCOUNT + "/agent_bots/{bot_id}/reset_access_token": {
            "parameters": [acc, ID("bot_id")],
            "post": operation("Reset an agent bot's token", ref("AgentBot"), tag="Agent bots")},
        ACCOUNT + "/inboxes": {
            "parameters": [acc],
            "get": operation("List inboxes", obj({"payload": array(ref("Inbox"))}), tag="Inboxes", errors=(404,)),
            "post": operation("Create an API inbox (administrators)", ref("Inbox"), tag="Inboxes",
                              request=body({**inbox_body, "required": ["name", "channel"]}, form=False,
                                           example={"name": "API 2", "channel": {"type": "api"}}))},
        ACCOUNT + "/inboxes/{inbox_id}": {
            "parameters": [acc, inbox],
            "get": operation("Show an inbox", ref("Inbox"), tag="Inboxes", errors=(404,)),
            **{method: operation("Update an inbox (administrators)", ref("Inbox"), tag="Inboxes",
                                 request=body(inbox_body, form=False, example={"greeting_enabled": True}))
               for method in ("patch", "put")},
            "delete": operation("Delete an inbox (administrators)", obj({"message": STR}), tag="Inboxes")},
        ACCOUNT + "/inboxes/{inbox_id}/assignable_agents": {
            "parameters": [acc, inbox],
            "get": operation("Agents assignable in the inbox", agents, tag="Inboxes", errors=(404,))},
        ACCOUNT + "/inboxes/{inbox_id}/agent_bot": {
            "parameters": [acc, inbox],
            "get": operation("The inbox's agent bot", obj({"agent_bot": null(ref("AgentBot"))}), tag="Inboxes",
                             errors=(404,))},
        ACCOUNT + "/inboxes/{inbox_id}/set_agent_bot": {
            "parameters": [acc, inbox],
            "post": operation("Set (or clear with null) the inbox's agent bot", None, tag="Inboxes",
                              request=body(props(agent_bot=NULL_INT_OR_STR)))},
        ACCOUNT + "/assignable_agents": {
            "parameters": [acc],
            "get": operation("Agents assignable in all the given inboxes", agents, tag="Inboxes",
                             params=(query("inbox_ids[]", array({"type": "integer", "minimum": 0})),))},
        ACCOUNT + "/inbox_members": {
            "parameters": [acc],
            **{method: operation(f"{verb} inbox members (administrators)", agents, tag="Inboxes",
                                 request=body({**props(inbox_id=INT_OR_STR, user_ids=array(INT)),
                                               "required": ["inbox_id", "user_ids"]}, form=False,
                                              example={"inbox_id": 1, "user_ids": [1]}))
               for method, verb in (("post", "Add"), ("patch", "Replace"))},
            "delete": operation("Remove inbox members (administrators)", None, tag="Inboxes",
                                request=body({**props(inbox_id=INT_OR_STR, user_ids=array(INT)),
                                              "required": ["inbox_id", "user_ids"]}, form=False))},
        ACCOUNT + "/inbox_members/{inbox_id}": {
            "parameters": [acc, inbox],
            "get": operation("The inbox's members", agents, tag="Inboxes", errors=(404,))},
        # --- Agents and teams ---
        ACCOUNT + "/agents": {
            "parameters": [acc],
            "get": operation("List agents", array(ref("Agent")), tag="Agents", errors=(404,)),
            "post": operation("Invite an agent (administrators)", ref("Agent"), tag="Agents",
                              request=body({**AGENT_FIELDS, "required": ["email"]},
                                           example={"name": "Bruno", "email": "bruno@example.com", "role": "agent"}))},
        ACCOUNT + "/agents/bulk_create": {
            "parameters": [acc],
            "post": operation("Invite agents by email (administrators)", None, tag="Agents",
                              request=body({**props(emails=array(STR)), "required": ["emails"]}, form=False,
                                           example={"emails": ["new-agent@example.com"]}))},
        ACCOUNT + "/agents/{user_id}": {
            "parameters": [acc, ID("user_id", "The agent's user id.")],
            **{method: operation("Update an agent (administrators)", ref("Agent"), tag="Agents",
                                 request=body(AGENT_FIELDS)) for method in ("patch", "put")},
            "delete": operation("Remove an agent from the account (administrators)", None, tag="Agents")},
        **crud(ACCOUNT + "/teams", "team_id", "Team", props(name=STR, description=STR, allow_auto_assign=BOOL),
               tag="Teams", acc=acc, name="team", example={"name": "Sales"}),
        ACCOUNT + "/teams/{team_id}/team_members": {
            "parameters": [acc, ID("team_id")],
            "get": operation("The team's agents", array(ref("Agent")), tag="Teams", errors=(404,)),
            "post": operation("Add agents (answers the ones added)", array(ref("Agent")), tag="Teams",
                              request=body(USER_IDS, form=False, example={"user_ids": [1]})),
            "patch": operation("Replace the agents", array(ref("Agent")), tag="Teams",
                               request=body(USER_IDS, form=False)),
            "delete": operation("Remove agents", None, tag="Teams", request=body(USER_IDS, form=False))},
    }
    return paths


def root_paths() -> dict:
    profile = ref("Profile")
    P = {"tag": "Profile", "errors": (422,)}
    return {
        "/api/v1/conversations": {
            "post": operation("Create a conversation (account taken from inbox_id)", ref("Conversation"),
                              tag="Conversations", request=body(CONVERSATION_CREATE, example={
                                  "inbox_id": 1, "contact_id": 1, "message": {"content": "Olá!"}}))},
        "/api/v1/profile": {
            "get": operation("The token's user", profile, tag="Profile", errors=()),
            **{method: operation("Update the profile", profile, request=body(PROFILE_FIELDS), **P)
               for method in ("patch", "put")}},
        "/api/v1/profile/availability": {
            "post": operation("Set availability in an account", profile, tag="Profile", errors=(404, 422),
                              request=body({**props(account_id=INT_OR_STR, availability=enum(
                                  "online", "offline", "busy"), profile=OBJ)},
                                  example={"account_id": 1, "availability": "busy"}))},
        "/api/v1/profile/auto_offline": {
            "post": operation("Set auto-offline in an account", profile, tag="Profile", errors=(404, 422),
                              request=body(props(account_id=INT_OR_STR, auto_offline=BOOL, profile=OBJ),
                                           example={"account_id": 1, "auto_offline": False}))},
        "/api/v1/profile/set_active_account": {
            method: operation("Choose the active account", None, tag="Profile", errors=(404, 422),
                              request=body(ACCOUNT_ID_BODY, example={"account_id": 1}))
            for method in ("put", "post")},
        "/api/v1/profile/reset_access_token": {
            "post": operation("Reset the user's access token", profile, tag="Profile", errors=(422,))},
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "tags": ["Docs"], "security": [],
                    "responses": {"200": {"description": "The OpenAPI document.",
                                          "content": json_content(OBJ)}}}},
    }


def platform_paths() -> dict:
    S = {"tag": "Platform", "security": PLATFORM_SECURITY}
    account = ID("pk", "The account id.")
    user = ID("user_id")
    user_fields = props(name=STR, email=STR, password=null(STR), display_name=STR)
    account_fields = props(name=STR, locale=STR, domain=STR, support_email=null(STR), timezone=STR)
    bot_fields = props(**BOT_FIELDS, account_id=NULL_INT_OR_STR)
    return {
        PLATFORM + "/accounts": {
            "post": operation("Create an account", ref("Account"), errors=(404, 422),
                              request=body({**account_fields, "required": ["name"]},
                                           example={"name": "Customer Inc", "locale": "en"}), **S)},
        PLATFORM + "/accounts/{pk}": {
            "parameters": [account],
            "get": operation("Show an account", ref("Account"), errors=(404,), **S),
            **{method: operation("Update an account", ref("Account"), request=body(account_fields), **S)
               for method in ("patch", "put")},
            "delete": operation("Delete an account", None, **S)},
        PLATFORM + "/accounts/{pk}/account_users": {
            "parameters": [account],
            "get": operation("The account's users", array(ref("AccountUser")), errors=(404,), **S),
            "post": operation("Add or update a membership", ref("AccountUser"), request=body(
                {**props(user_id=INT_OR_STR, role=enum("agent", "administrator")), "required": ["user_id"]},
                example={"user_id": 1, "role": "administrator"}), **S),
            "delete": operation("Remove a membership", None, request=body(
                {**props(user_id=INT_OR_STR), "required": ["user_id"]}), **S)},
        PLATFORM + "/users": {
            "post": operation("Create a user", ref("Profile"), errors=(404, 422),
                              request=body({**user_fields, "required": ["email"]},
                                           example={"name": "Paula", "email": "paula2@example.com"}), **S)},
        PLATFORM + "/users/{user_id}": {
            "parameters": [user],
            "get": operation("Show a user", ref("Profile"), errors=(404,), **S),
            **{method: operation("Update a user", ref("Profile"), request=body(user_fields), **S)
               for method in ("patch", "put")},
            "delete": operation("Delete a user", None, **S)},
        PLATFORM + "/users/{user_id}/login": {
            "parameters": [user],
            "get": operation("A one-time sign-in link", obj({"url": STR}), errors=(404,), **S)},
        PLATFORM + "/users/{user_id}/token": {
            "parameters": [user],
            "post": operation("The user's API access token", obj({"access_token": STR}), errors=(404,), **S)},
        PLATFORM + "/agent_bots": {
            "get": operation("The app's agent bots", array(ref("AgentBot")), errors=(), **S),
            "post": operation("Create an agent bot", ref("AgentBot"), errors=(404, 422),
                              request=body({**bot_fields, "required": ["name"]},
                                           example={"name": "Helper", "account_id": 1}), **S)},
        PLATFORM + "/agent_bots/{bot_id}": {
            "parameters": [ID("bot_id")],
            "get": operation("Show an agent bot", ref("AgentBot"), errors=(404,), **S),
            **{method: operation("Update an agent bot", ref("AgentBot"), request=body(props(**BOT_FIELDS)), **S)
               for method in ("patch", "put")},
            "delete": operation("Delete an agent bot", None, **S)},
    }


def _with_operation_ids(paths: dict) -> dict:
    """Stable operationIds from method and path (`get_api_v1_accounts_account_id_conversations`)."""
    for route, item in paths.items():
        for method, spec in item.items():
            if method != "parameters" and "operationId" not in spec:
                words = [w.strip("{}") for w in route.strip("/").replace(".", "_").split("/")]
                spec["operationId"] = "_".join([method, *words])
    return paths


def _helpcenter_paths() -> dict:
    from helpcenter.openapi_paths import helpcenter_paths  # imports this module: keep it lazy

    return helpcenter_paths()


def _assistant_paths() -> dict:
    from automations.assistant.openapi_paths import assistant_paths  # imports this module: keep it lazy

    return assistant_paths()


@functools.cache
def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Autonomia API",
            "version": "1",
            "description": "Chatwoot-compatible JSON API. Authenticate with the `api_access_token` header "
                           "(or `Authorization: Bearer <token>`): an agent's token from the profile page, an "
                           "agent bot's token, or (for /platform/api/v1) a platform app's token. Conversation ids "
                           "in paths are display ids; times are unix seconds unless noted.",
        },
        "servers": [{"url": "/"}],
        "security": USER_SECURITY,
        "tags": [{"name": name} for name in (
            "Conversations", "Messages", "Contacts", "Inboxes", "Agents", "Teams", "Labels", "Canned responses",
            "Custom attributes", "Custom filters", "Webhooks", "Agent bots", "Account", "Profile", "Platform",
            "Help center", "Docs", "Widget", "Reports")],
        "paths": _with_operation_ids({**account_paths(), **_helpcenter_paths(), **root_paths(), **platform_paths(),
                                      **widget_paths(), **_assistant_paths()}),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "api_access_token": {"type": "apiKey", "in": "header", "name": "api_access_token",
                                     "description": "A user's or agent bot's access token."},
                "bearer": {"type": "http", "scheme": "bearer", "description": "The same token as a bearer token."},
                "platform_token": {"type": "apiKey", "in": "header", "name": "api_access_token",
                                   "description": "A platform app's access token (/platform/api/v1 only)."},
            },
        },
    }


def openapi_document() -> dict:
    """A fresh copy of the document (callers may change it)."""
    return copy.deepcopy(_document())
