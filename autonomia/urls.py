"""Every app is mounted here; the agent app lives under /app/accounts/<account_id>/."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from autonomia import views
from autonomia.forms import SetPasswordForm

APP = "app/accounts/<int:account_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset_view, name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="registration/password_reset_done.html"), name="password_reset_done"),
    # The same link serves password resets and invitations (the invited agent sets a first password).
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="registration/password_reset_confirm.html", form_class=SetPasswordForm, post_reset_login=True,
        post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
        success_url="/"), name="password_reset_confirm"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("autonomia.urls_api")),
    path("hc/<slug:portal_slug>/", include("helpcenter.urls_public")),
    path("", include("inboxes.widget_urls")),  # /packs/js/sdk.js, /widget, /api/v1/widget/… (website widget)
    path("", include("inboxes.providers.whatsapp.urls")),  # WhatsApp webhooks, settings, reply-box panel
    path(APP, include("conversations.urls")),
    path(APP + "contacts/", include("contacts.urls")),
    path(APP + "settings/inboxes/", include("inboxes.urls")),
    path(APP + "settings/canned-responses/", include("automations.urls")),
    path(APP + "settings/webhooks/", include("automations.urls_webhooks")),
    path(APP, include("automations.assistant.urls")),  # Alú: settings tab per inbox, report
    path(APP, include("helpcenter.urls")),
    path(APP, include("autonomia.urls_settings")),
]
