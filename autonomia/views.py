"""Sign-in, sign-out, password reset, the landing redirect, and the `account_view` decorator."""

import functools

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from autonomia.forms import EmailAuthenticationForm, PasswordResetForm
from autonomia.models import AccountUser
from autonomia.queries import access_account_user, default_account_user


def account_view(view):
    """Require login and membership of the URL's account (404 otherwise); sets request.account_user."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, account_id: int, *args, **kwargs):
        request.account_user = access_account_user(request.user, account_id)
        request.account = request.account_user.account
        return view(request, *args, **kwargs)

    return wrapper


def admin_view(view):
    """Like `account_view`, and the member must be an administrator (403 otherwise)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.account_user.is_administrator:
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return account_view(wrapper)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = default_account_user(request.user)
    if membership is None:
        return render(request, "registration/no_account.html", status=403)
    return redirect("conversations:inbox", account_id=membership.account_id)


def _login_limited(request: HttpRequest) -> bool:
    """5 attempts per 5 min per IP and 10 per 15 min per email (Chatwoot's rack-attack limits)."""
    if not settings.RATELIMIT_ENABLE or request.method != "POST":
        return False
    by_ip = is_ratelimited(request, group="login-ip", key="ip", rate=settings.LOGIN_RATE_PER_IP, increment=True)
    email = (request.POST.get("username") or "").strip().lower()
    by_email = is_ratelimited(request, group="login-email", key=lambda g, r: email,
                              rate=settings.LOGIN_RATE_PER_EMAIL, increment=True)
    return by_ip or by_email


def login_view(request: HttpRequest) -> HttpResponse:
    """Email + password sign-in; a safe ?next= is honoured, anything else lands on the inbox."""
    if _login_limited(request):
        return rate_limited(request)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    form = EmailAuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth.login(request, form.get_user())
        AccountUser.objects.filter(user=form.get_user()).update(active_at=timezone.now())
        return redirect(next_url or "home")
    return render(request, "registration/login.html", {"form": form, "next": next_url},
                  status=400 if form.errors else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out; the browser's websockets are closed by the session-ended event."""
    if request.user.is_authenticated:
        from autonomia import realtime
        from django.db import transaction

        with transaction.atomic():
            realtime.broadcast_on_commit([realtime.user_group(request.user.pk)], {"type": "session.ended"})
    auth.logout(request)
    return redirect("login")


def password_reset_view(request: HttpRequest) -> HttpResponse:
    """Email a reset link; the answer is the same whether or not the email exists."""
    if settings.RATELIMIT_ENABLE and request.method == "POST" and is_ratelimited(
            request, group="password-reset", key="ip", rate=settings.PASSWORD_RESET_RATE, increment=True):
        return rate_limited(request)
    return auth_views.PasswordResetView.as_view(
        template_name="registration/password_reset_form.html", form_class=PasswordResetForm,
        email_template_name="emails/password_reset.txt",
        subject_template_name="emails/password_reset_subject.txt",
        extra_email_context={"base_url": settings.FRONTEND_URL},
    )(request)


def rate_limited(request: HttpRequest, exception=None) -> HttpResponse:
    """429 for too many attempts: JSON for API clients, a page for people."""
    message = _("Too many attempts. Please wait a few minutes and try again.")
    if request.path.startswith("/api/") or request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"error": message}, status=429)
    return render(request, "429.html", {"message": message}, status=429)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and database reachability for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
