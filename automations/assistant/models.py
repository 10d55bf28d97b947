"""Alú's settings per inbox, its state per conversation and one row per run (tokens, latency, outcome)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account

DEFAULT_HANDOFF_PHRASES = "\n".join([
    "atendente", "falar com uma pessoa", "falar com um humano", "falar com alguém", "humano", "pessoa de verdade",
    "human", "agent", "talk to a person",
])


class AssistantConfig(models.Model):
    """How the assistant works one inbox: identity, protocol, fields, routing, knowledge and its LLM."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assistant_configs")
    inbox = models.OneToOneField("inboxes.Inbox", on_delete=models.CASCADE, related_name="assistant_config")
    # The bot the assistant speaks as (sender_type "AgentBot"), attached to the inbox while enabled.
    agent_bot = models.OneToOneField("inboxes.AgentBot", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="assistant_config")
    enabled = models.BooleanField(_("enabled"), default=False)
    name = models.CharField(_("name"), max_length=60, default="Alú")
    instructions = models.TextField(_("instructions"), blank=True)
    # [{"key", "label", "target": "contact"|"conversation", "kind": "text"|"cnpj"|"cpf"|"email"|"phone"|"number",
    #   "required": bool}]
    fields_to_collect = models.JSONField(_("fields to collect"), default=list, blank=True)
    # [{"need", "label", "team_id", "keywords": [...]}]
    routing = models.JSONField(_("routing"), default=list, blank=True)
    faq = models.TextField(_("frequently asked questions"), blank=True)
    portal_ids = models.JSONField(default=list, blank=True)  # help centers to search; empty = every public one
    handoff_phrases = models.TextField(_("handoff phrases"), default=DEFAULT_HANDOFF_PHRASES, blank=True)
    handoff_message = models.TextField(_("handoff message"), blank=True)
    after_hours_message = models.TextField(_("message when the team is away"), blank=True)
    max_turns = models.PositiveIntegerField(_("maximum replies before handing off"), default=8)
    debounce_seconds = models.PositiveIntegerField(_("wait for more messages (seconds)"), default=2)
    mask_pii = models.BooleanField(_("mask personal data before sending it to the model"), default=True)
    llm_base_url = models.URLField(_("model endpoint (OpenAI-compatible base URL)"), blank=True)
    llm_model = models.CharField(_("model"), max_length=120, blank=True)
    llm_api_key = models.CharField(max_length=500, blank=True)  # never rendered back in full
    llm_timeout = models.PositiveIntegerField(_("model timeout (seconds)"), default=30)
    # Optional: rerank help-center search candidates by embeddings from the same endpoint ("" = FTS order only).
    embeddings_model = models.CharField(_("embeddings model"), max_length=120, blank=True)
    monthly_token_limit = models.PositiveIntegerField(_("monthly token limit of the account (0 = none)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.inbox_id}"

    @property
    def uses_llm(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def masked_api_key(self) -> str:
        key = self.llm_api_key
        return f"…{key[-4:]}" if len(key) > 8 else ("••••" if key else "")

    def phrases(self) -> list[str]:
        return [p.strip().lower() for p in self.handoff_phrases.splitlines() if p.strip()]


class AssistantConversation(models.Model):
    """The assistant's memory of one conversation: the guided flow's step, what it collected, why it left."""

    conversation = models.OneToOneField("conversations.Conversation", on_delete=models.CASCADE,
                                        related_name="assistant_state")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=20, blank=True)  # guided flow: "" (greet), "menu", "field", "done"
    need = models.CharField(max_length=60, blank=True)
    field_index = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    collected = models.JSONField(default=dict, blank=True)
    replies = models.PositiveIntegerField(default=0)  # replies since it last took the conversation
    handoff_reason = models.CharField(max_length=40, blank=True)
    handoff_note = models.TextField(blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["account", "started_at"], name="assistant_conv_started")]


class AssistantRun(models.Model):
    """One wake-up of the assistant on a conversation: what it decided, its cost and how long it took."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        REPLIED = "replied", _("Replied")
        HANDOFF = "handoff", _("Handed off")
        DISCARDED = "discarded", _("Discarded")
        SKIPPED = "skipped", _("Skipped")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE,
                                     related_name="assistant_runs")
    wake_key = models.CharField(max_length=64, unique=True)  # a redelivered task finds its run and stops
    trigger_message_id = models.BigIntegerField(null=True, blank=True)
    mode = models.CharField(max_length=10, blank=True)  # "llm" | "guided"
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RUNNING)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    tool_calls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"], name="assistant_run_account_time"),
                   models.Index(fields=["conversation", "created_at"], name="assistant_run_conversation")]

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ArticleEmbedding(models.Model):
    """An article's vector for one embeddings model, for the revision (title + text) whose digest it records;
    a changed article has a new digest and is embedded again (tasks.embed_articles_task)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey("helpcenter.Article", on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=120)
    digest = models.CharField(max_length=64)  # sha256 of the embedded text
    vector = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "model"], name="assistant_embedding_unique")]
