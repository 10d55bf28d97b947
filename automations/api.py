"""Chatwoot-compatible CRUD endpoints: canned responses, labels, custom attribute definitions, custom filters.

Labels are conversations' data but their endpoints live here (they call conversations.label_actions).
Writes to account-wide resources are administrator-only; custom filters are personal.
"""

from django.http import HttpRequest

from autonomia.api import api_view, bool_param, iso, require_administrator, str_param, unprocessable
from autonomia.api_views import choice_param
from automations import actions
from automations.models import CannedResponse, CustomAttributeDefinition, CustomFilter
from automations.queries import (access_canned_response, access_custom_attribute_definition, access_custom_filter,
                                 search_canned_responses, visible_custom_attribute_definitions,
                                 visible_custom_filters)
from conversations import label_actions
from conversations.label_queries import access_label, visible_labels

DISPLAY_TYPES = {t.name.lower(): t.value for t in CustomAttributeDefinition.DisplayType}
ATTRIBUTE_MODELS = {"conversation_attribute": 0, "contact_attribute": 1, "conversation": 0, "contact": 1}
FILTER_TYPES = {t.name.lower(): t.value for t in CustomFilter.FilterType}


# --- Canned responses ----------------------------------------------------------------------

def canned_response_json(canned: CannedResponse) -> dict:
    return {"id": canned.pk, "account_id": canned.account_id, "short_code": canned.short_code,
            "content": canned.content, "created_at": iso(canned.created_at), "updated_at": iso(canned.updated_at)}


def _canned_body(request: HttpRequest, canned: CannedResponse | None = None) -> dict:
    data = request.data
    return {"short_code": str_param(data, "short_code", canned.short_code if canned else "", max_length=100),
            "content": str_param(data, "content", canned.content if canned else "", max_length=100_000)}


@api_view(["GET", "POST"])
def canned_responses(request: HttpRequest):
    if request.method == "GET":
        return [canned_response_json(c) for c in search_canned_responses(request.account,
                                                                          request.GET.get("search", ""))]
    require_administrator(request)
    canned = actions.create_canned_response(request.account, actor=request.user, **_canned_body(request))
    return canned_response_json(canned)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def canned_response_detail(request: HttpRequest, canned_id: int):
    canned = access_canned_response(request.account_user, canned_id)
    if request.method == "GET":
        return canned_response_json(canned)
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_canned_response(canned, actor=request.user)
        return None
    canned = actions.update_canned_response(canned, actor=request.user, **_canned_body(request, canned))
    return canned_response_json(canned)


# --- Labels --------------------------------------------------------------------------------

def label_json(label) -> dict:
    return {"id": label.pk, "title": label.title, "description": label.description, "color": label.color,
            "show_on_sidebar": label.show_on_sidebar}


def _label_body(request: HttpRequest, label=None) -> dict:
    data = request.data
    return {"title": str_param(data, "title", label.title if label else ""),
            "color": str_param(data, "color", label.color if label else "#1f93ff", max_length=7),
            "description": str_param(data, "description", label.description if label else "", max_length=10_000),
            "show_on_sidebar": bool_param(data, "show_on_sidebar", label.show_on_sidebar if label else True)}


@api_view(["GET", "POST"])
def labels(request: HttpRequest):
    if request.method == "GET":
        return {"payload": [label_json(label) for label in visible_labels(request.account)]}
    require_administrator(request)
    return label_json(label_actions.create_label(request.account, actor=request.user, **_label_body(request)))


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def label_detail(request: HttpRequest, label_id: int):
    label = access_label(request.account_user, label_id)
    if request.method == "GET":
        return label_json(label)
    require_administrator(request)
    if request.method == "DELETE":
        label_actions.delete_label(label, actor=request.user)
        return None
    return label_json(label_actions.update_label(label, actor=request.user, **_label_body(request, label)))


# --- Custom attribute definitions ----------------------------------------------------------

def custom_attribute_json(definition: CustomAttributeDefinition) -> dict:
    return {
        "id": definition.pk,
        "attribute_display_name": definition.attribute_display_name,
        "attribute_display_type": CustomAttributeDefinition.DisplayType(definition.attribute_display_type).name.lower(),
        "attribute_description": definition.attribute_description,
        "attribute_key": definition.attribute_key,
        "regex_pattern": definition.regex_pattern or None,
        "regex_cue": definition.regex_cue or None,
        "attribute_values": definition.attribute_values,
        "attribute_model": "contact_attribute" if definition.attribute_model == 1 else "conversation_attribute",
        "default_value": definition.default_value,
        "created_at": iso(definition.created_at),
        "updated_at": iso(definition.updated_at),
    }


def _attribute_fields(data, definition: CustomAttributeDefinition | None) -> dict:
    creating = definition is None
    fields = {}
    for name in ("attribute_display_name", "attribute_key"):
        if creating or name in data:
            fields[name] = str_param(data, name, required=True)
    for name in ("attribute_description", "regex_pattern", "regex_cue"):
        if name in data:
            fields[name] = str_param(data, name, "", max_length=10_000 if name == "attribute_description" else 255) or ""
    if creating or "attribute_display_type" in data:
        fields["attribute_display_type"] = choice_param(data, "attribute_display_type", DISPLAY_TYPES, 0)
    if creating or "attribute_model" in data:
        fields["attribute_model"] = choice_param(data, "attribute_model", ATTRIBUTE_MODELS, 0)
    if "attribute_values" in data:
        fields["attribute_values"] = data["attribute_values"] if data["attribute_values"] is not None else []
    if "default_value" in data:
        if isinstance(data["default_value"], (dict, list)):
            raise unprocessable("default_value must be a single value", ["default_value"])
        fields["default_value"] = data["default_value"]
    return fields


@api_view(["GET", "POST"])
def custom_attribute_definitions(request: HttpRequest):
    if request.method == "GET":
        model = choice_param(request.GET, "attribute_model", ATTRIBUTE_MODELS)
        return [custom_attribute_json(d) for d in visible_custom_attribute_definitions(request.account, model)]
    require_administrator(request)
    definition = actions.create_custom_attribute_definition(request.account, actor=request.user,
                                                            **_attribute_fields(request.data, None))
    return custom_attribute_json(definition)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def custom_attribute_definition_detail(request: HttpRequest, definition_id: int):
    definition = access_custom_attribute_definition(request.account_user, definition_id)
    if request.method == "GET":
        return custom_attribute_json(definition)
    require_administrator(request)
    if request.method == "DELETE":
        actions.delete_custom_attribute_definition(definition, actor=request.user)
        return None
    definition = actions.update_custom_attribute_definition(definition, actor=request.user,
                                                            **_attribute_fields(request.data, definition))
    return custom_attribute_json(definition)


# --- Custom filters (personal) -------------------------------------------------------------

def custom_filter_json(custom_filter: CustomFilter) -> dict:
    return {"id": custom_filter.pk, "name": custom_filter.name,
            "filter_type": CustomFilter.FilterType(custom_filter.filter_type).name.lower(),
            "query": custom_filter.query, "created_at": iso(custom_filter.created_at),
            "updated_at": iso(custom_filter.updated_at)}


def _filter_fields(data, custom_filter: CustomFilter | None) -> dict:
    data = data.get("custom_filter") if isinstance(data.get("custom_filter"), dict) else data
    creating = custom_filter is None
    fields = {}
    if creating or "name" in data:
        fields["name"] = str_param(data, "name", required=True)
    key = "filter_type" if "filter_type" in data else "type"
    if creating or key in data:
        fields["filter_type"] = choice_param(data, key, FILTER_TYPES, 0)
    if creating or "query" in data:
        if not isinstance(data.get("query"), dict):
            raise unprocessable("query must be an object", ["query"])
        fields["query"] = data["query"]
    return fields


@api_view(["GET", "POST"])
def custom_filters(request: HttpRequest):
    if request.method == "GET":
        filter_type = choice_param(request.GET, "filter_type", FILTER_TYPES)
        return [custom_filter_json(f) for f in visible_custom_filters(request.account_user, filter_type)]
    custom_filter = actions.create_custom_filter(request.account, actor=request.user,
                                                 **_filter_fields(request.data, None))
    return custom_filter_json(custom_filter)


@api_view(["GET", "PATCH", "PUT", "DELETE"])
def custom_filter_detail(request: HttpRequest, filter_id: int):
    custom_filter = access_custom_filter(request.account_user, filter_id)
    if request.method == "GET":
        return custom_filter_json(custom_filter)
    if request.method == "DELETE":
        actions.delete_custom_filter(custom_filter, actor=request.user)
        return None
    custom_filter = actions.update_custom_filter(custom_filter, actor=request.user,
                                                 **_filter_fields(request.data, custom_filter))
    return custom_filter_json(custom_filter)
