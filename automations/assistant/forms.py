"""The assistant's settings form: tables are edited as simple lines ("need | label | team | keywords")."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autonomia.forms import AvatarField, StyledForm
from autonomia.models import Team
from automations.assistant.fields import KEY_RE, KINDS


class AssistantConfigForm(StyledForm):
    enabled = forms.BooleanField(label=gettext_lazy("The assistant answers new conversations"), required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    avatar = AvatarField(label=gettext_lazy("Assistant picture"))
    remove_avatar = forms.BooleanField(label=gettext_lazy("Remove the current picture"), required=False)
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("The protocol: how to qualify the customer, what to ask, when to hand off."))
    fields_text = forms.CharField(
        label=gettext_lazy("Fields to collect"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line: key | label | contact or conversation | kind (text, cnpj, cpf, "
                               "email, phone, number, city)."))
    routing_text = forms.CharField(
        label=gettext_lazy("Routing"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One need per line: need | label | team name | keywords separated by commas."))
    faq = forms.CharField(label=gettext_lazy("Frequently asked questions"), required=False,
                          widget=forms.Textarea(attrs={"rows": 5}))
    portal_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Help centers to search"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None checked: every help center of the account. Only published articles of public "
                               "help centers are used."))
    handoff_phrases = forms.CharField(label=gettext_lazy("Handoff phrases"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}),
                                      help_text=gettext_lazy("One per line; the customer saying one reaches a "
                                                             "person at once."))
    handoff_message = forms.CharField(label=gettext_lazy("Handoff message"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    after_hours_message = forms.CharField(label=gettext_lazy("Message when the team is away"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 2}))
    max_turns = forms.IntegerField(label=gettext_lazy("Maximum replies before handing off"), min_value=1,
                                   max_value=50)
    debounce_seconds = forms.IntegerField(label=gettext_lazy("Wait for more messages (seconds)"), min_value=0,
                                          max_value=30)
    mask_pii = forms.BooleanField(label=gettext_lazy("Mask CPF, card numbers, emails and phones before text is "
                                                     "sent to the model"), required=False)
    llm_base_url = forms.URLField(label=gettext_lazy("Model endpoint (OpenAI-compatible base URL)"), required=False,
                                  assume_scheme="https",
                                  help_text=gettext_lazy("Empty: the guided flow, without a model."))
    llm_model = forms.CharField(label=gettext_lazy("Model"), required=False, max_length=120)
    api_key = forms.CharField(label=gettext_lazy("API key"), required=False, max_length=500,
                              widget=forms.PasswordInput(render_value=False),
                              help_text=gettext_lazy("Leave empty to keep the saved key."))
    clear_api_key = forms.BooleanField(label=gettext_lazy("Remove the saved key"), required=False)
    embeddings_model = forms.CharField(
        label=gettext_lazy("Embeddings model"), required=False, max_length=120,
        help_text=gettext_lazy("Optional, e.g. text-embedding-3-small or nomic-embed-text: orders the help-center "
                               "search results by meaning. Uses the same endpoint and key."))
    llm_timeout = forms.IntegerField(label=gettext_lazy("Model timeout (seconds)"), min_value=2, max_value=120)
    monthly_token_limit = forms.IntegerField(label=gettext_lazy("Monthly token limit of the account (0 = none)"),
                                             min_value=0)

    def __init__(self, *args, config, **kwargs):
        self.config = config
        self.teams = {t.name.strip().lower(): t for t in Team.objects.filter(account_id=config.account_id)}
        initial = {k: getattr(config, k) for k in (
            "enabled", "name", "instructions", "faq", "handoff_phrases", "handoff_message", "after_hours_message",
            "max_turns", "debounce_seconds", "mask_pii", "llm_base_url", "llm_model", "llm_timeout",
            "monthly_token_limit", "embeddings_model")}
        names = {t.pk: t.name for t in self.teams.values()}
        initial["fields_text"] = "\n".join(" | ".join([f["key"], f["label"], f["target"], f["kind"]])
                                           for f in config.fields_to_collect or [])
        initial["portal_ids"] = list(config.portal_ids or [])
        initial["routing_text"] = "\n".join(" | ".join([r["need"], r["label"], names.get(r.get("team_id"), ""),
                                                        ", ".join(r.get("keywords") or [])])
                                            for r in config.routing or [])
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["portal_ids"].choices = portal_choices(config.account_id)
        if config.llm_api_key:
            self.fields["api_key"].help_text = _("Saved key ending in %(end)s. Leave empty to keep it.") % {
                "end": config.masked_api_key}

    def clean_fields_text(self) -> list[dict]:
        rows = []
        for number, line in enumerate(self.cleaned_data["fields_text"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + ["", "", ""]
            key, label, target, kind = parts[:4]
            if not KEY_RE.match(key) or (kind and kind not in KINDS) or target not in ("", "contact", "conversation"):
                raise forms.ValidationError(_("Line %(number)s is not “key | label | contact or conversation | "
                                              "kind”.") % {"number": number})
            rows.append({"key": key, "label": label or key, "target": target or "conversation",
                         "kind": kind or "text", "required": True})
        return rows

    def clean_routing_text(self) -> list[dict]:
        rows = []
        for number, line in enumerate(self.cleaned_data["routing_text"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + ["", "", ""]
            need, label, team_name, keywords = parts[:4]
            if not KEY_RE.match(need):
                raise forms.ValidationError(_("Line %(number)s: the need must be a short key in lower case, like "
                                              "compras.") % {"number": number})
            team = self.teams.get(team_name.lower()) if team_name else None
            if team_name and team is None:
                raise forms.ValidationError(_("Line %(number)s: there is no team named “%(team)s”.") % {
                    "number": number, "team": team_name})
            rows.append({"need": need, "label": label or need, "team_id": team.pk if team else None,
                         "keywords": [k.strip() for k in keywords.split(",") if k.strip()]})
        return rows

    def settings(self) -> dict:
        """The keyword arguments of `save_assistant_config`."""
        data = dict(self.cleaned_data)
        api_key = "" if data.pop("clear_api_key") else (data.pop("api_key") or None)
        data.pop("api_key", None)
        data["fields_to_collect"], data["routing"] = data.pop("fields_text"), data.pop("routing_text")
        avatar, remove = data.pop("avatar"), data.pop("remove_avatar")
        return {**data, "api_key": api_key, "avatar": avatar or (False if remove else None)}


def portal_choices(account_id: int) -> list[tuple[int, str]]:
    """The account's help centers that are not archived (the ones the assistant may search)."""
    try:
        from helpcenter.models import Portal
    except ImportError:
        return []
    return list(Portal.objects.filter(account_id=account_id, archived=False).order_by("name").values_list(
        "pk", "name"))
