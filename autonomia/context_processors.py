"""Template context shared by every page."""


def current_account(request):
    """`account_user` and `account` when a view resolved them (see autonomia.views.account_view)."""
    account_user = getattr(request, "account_user", None)
    return {"account_user": account_user, "account": getattr(account_user, "account", None)}
