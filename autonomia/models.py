"""The cross-cutting core: accounts (tenants), users, roles, teams, audit log and API tokens."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Account(models.Model):
    """A tenant: one business using Autonomia."""

    class Status(models.IntegerChoices):
        ACTIVE = 0, _("Active")
        SUSPENDED = 1, _("Suspended")

    name = models.CharField(_("name"), max_length=255)
    locale = models.CharField(_("language"), max_length=10, default="pt-br", choices=settings.LANGUAGES)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")
    domain = models.CharField(max_length=100, blank=True)
    support_email = models.EmailField(blank=True)
    status = models.IntegerField(choices=Status.choices, default=Status.ACTIVE)
    # auto_resolve_after (minutes), auto_resolve_message, auto_resolve_ignore_waiting, auto_resolve_label
    settings = models.JSONField(default=dict, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    feature_flags = models.BigIntegerField(default=0)
    # Per-account counter behind Conversation.display_id (Chatwoot's conv_dpid_seq_<id>).
    last_conversation_display_id = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    @property
    def auto_resolve_after(self) -> int | None:
        return self.settings.get("auto_resolve_after") or None


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in (agent or administrator of one or more accounts)."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=255)
    display_name = models.CharField(_("display name"), max_length=255, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/users/", blank=True)
    message_signature = models.TextField(_("signature"), blank=True)
    locale = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    # send_on_enter (bool), notification preferences {"email": [...], "push": [...]}, sound (bool)
    ui_settings = models.JSONField(default=dict, blank=True)
    pubsub_token = models.CharField(max_length=64, unique=True, default=new_token)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    def __str__(self) -> str:
        return self.available_name

    @property
    def available_name(self) -> str:
        return self.display_name or self.name or self.email

    @property
    def initials(self) -> str:
        parts = self.available_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @property
    def send_on_enter(self) -> bool:
        return bool(self.ui_settings.get("send_on_enter"))


class AccountUser(models.Model):
    """Membership of a user in an account, with the role and the agent's availability."""

    class Role(models.IntegerChoices):
        AGENT = 0, _("Agent")
        ADMINISTRATOR = 1, _("Administrator")

    class Availability(models.IntegerChoices):
        ONLINE = 0, _("Online")
        OFFLINE = 1, _("Offline")
        BUSY = 2, _("Busy")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="account_users")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_users")
    role = models.IntegerField(choices=Role.choices, default=Role.AGENT)
    availability = models.IntegerField(choices=Availability.choices, default=Availability.ONLINE)
    auto_offline = models.BooleanField(default=True)
    inviter = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="account_user_unique")]

    @property
    def is_administrator(self) -> bool:
        return self.role == self.Role.ADMINISTRATOR

    @property
    def availability_status(self) -> str:
        return self.Availability(self.availability).name.lower()


class Team(models.Model):
    """A group of agents that conversations can be routed to."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    allow_auto_assign = models.BooleanField(_("auto-assign within the team"), default=True)
    members = models.ManyToManyField(User, through="TeamMember", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), "account", name="team_name_unique")]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]


class AuditLog(models.Model):
    """Who changed what, when (Chatwoot's `audits` table)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_logs")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_type = models.CharField(max_length=20, default="User")  # User | AgentBot | System | Contact
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    auditable_type = models.CharField(max_length=64)
    auditable_id = models.BigIntegerField(null=True)
    audited_changes = models.JSONField(default=dict, blank=True)
    remote_address = models.GenericIPAddressField(null=True, blank=True)
    request_uuid = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["account", "auditable_type", "auditable_id"])]


class AccessToken(models.Model):
    """An `api_access_token`: owned by a User, an AgentBot or a PlatformApp."""

    owner_type = models.CharField(max_length=32)  # "User" | "AgentBot" | "PlatformApp"
    owner_id = models.BigIntegerField()
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner_type", "owner_id"], name="access_token_owner")]


class PlatformApp(models.Model):
    """An installer or provisioning system calling /platform/api/v1."""

    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)



class PlatformAppPermissible(models.Model):
    """An object (Account, User, AgentBot) a PlatformApp created and so may manage."""

    platform_app = models.ForeignKey(PlatformApp, on_delete=models.CASCADE, related_name="permissibles")
    permissible_type = models.CharField(max_length=32)  # "Account" | "User" | "AgentBot"
    permissible_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform_app", "permissible_type", "permissible_id"],
                                               name="platform_app_permissible_unique")]
        indexes = [models.Index(fields=["permissible_type", "permissible_id"])]
