"""Canned responses now; automation rules, macros, webhooks and campaigns arrive in their issues."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from autonomia.models import Account


class CannedResponse(models.Model):
    """A saved reply inserted with "/" + short_code; content may use {{contact.name}} and {{agent.name}}."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="canned_responses")
    short_code = models.CharField(_("short code"), max_length=100)
    content = models.TextField(_("content"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["short_code"]
        constraints = [models.UniqueConstraint(fields=["account", "short_code"], name="canned_short_code_unique")]

    def __str__(self) -> str:
        return self.short_code
