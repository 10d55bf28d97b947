"""The help center inside the agent inbox: article suggestions for the open conversation (from its latest
customer messages, or what the agent types), inserting a link or summary into the reply, and creating a
draft article from the conversation."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from autonomia.actions import DomainError
from autonomia.views import account_view
from conversations.models import Message
from conversations.queries import access_conversation
from helpcenter import actions, queries
from helpcenter.models import Article

SUGGESTIONS = 5
CONTEXT_MESSAGES = 3


def latest_customer_text(conversation) -> str:
    """The conversation's last few customer messages, newest first (what the suggestions search for)."""
    texts = (conversation.messages.filter(message_type=Message.MessageType.INCOMING, private=False)
             .exclude(content="").order_by("-created_at", "-id").values_list("content", flat=True)[:CONTEXT_MESSAGES])
    return " ".join(texts)[:500]


@account_view
@require_GET
def suggestions(request: HttpRequest, display_id: int) -> HttpResponse:
    conversation = access_conversation(request.account_user, display_id)
    portal = queries.portal_for_inbox(request.account.pk, conversation.inbox_id)
    query = request.GET.get("q", "").strip()[:200]
    hits = []
    if portal is not None:
        hits = queries.search_articles(portal, query or latest_customer_text(conversation), limit=SUGGESTIONS,
                                       viewer=request.account_user)
    return render(request, "helpcenter/inbox/suggestions.html#help-articles-results" if request.htmx and
                  request.GET.get("q") is not None else "helpcenter/inbox/suggestions.html#help-articles",
                  {"conversation": conversation, "portal": portal, "hits": hits, "query": query})


@account_view
@require_POST
def insert(request: HttpRequest, display_id: int) -> HttpResponse:
    """The reply box's text with the article's link (or summary and link) appended."""
    conversation = access_conversation(request.account_user, display_id)
    portal = queries.portal_for_inbox(request.account.pk, conversation.inbox_id)
    article = None
    if portal is not None:
        article = portal.articles.filter(pk=request.POST.get("article_id") or 0,
                                         status=Article.Status.PUBLISHED).first()
    text = request.POST.get("content", "")
    if article is not None:
        url = request.build_absolute_uri(f"/hc/{portal.slug}/{article.locale}/articles/{article.slug}/")
        summary = article.description or article.body_text[:200]
        addition = (f"{article.title}: {summary}\n{url}" if request.POST.get("mode") == "summary"
                    else f"{article.title}: {url}")
        text = f"{text.rstrip()}\n\n{addition}" if text.strip() else addition
    return render(request, "helpcenter/inbox/suggestions.html#reply-content",
                  {"content": text, "conversation": conversation})


@account_view
@require_POST
def new_article(request: HttpRequest, display_id: int) -> HttpResponse:
    """'Create article from this conversation': a prefilled draft, opened in the editor."""
    conversation = access_conversation(request.account_user, display_id)
    portal = queries.portal_for_inbox(request.account.pk, conversation.inbox_id)
    if portal is None or not queries.visible_portals(request.account_user).filter(pk=portal.pk).exists():
        return render(request, "helpcenter/inbox/suggestions.html#create-error", {"error": "portal"}, status=422)
    try:
        article = actions.draft_article_from_conversation(conversation, actor=request.user, portal=portal)
    except DomainError as error:
        return render(request, "helpcenter/inbox/suggestions.html#create-error", {"error": error.message},
                      status=422)
    url = reverse("helpcenter:article-edit", kwargs={"account_id": request.account.pk, "article_id": article.pk})
    if request.htmx:
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return redirect(url)
