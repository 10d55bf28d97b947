"""Message text → safe HTML: a chat-sized Markdown subset, mention chips, bare links, then nh3 sanitising.

Markdown is rendered with raw HTML disabled (typed tags show as text) and images off (no tracking pixels);
`[@Name](mention://user/ID/Name)` becomes an @Name chip. The result always goes through nh3 with an
allow-list of tags, http/https/mailto links only, and rel="noopener nofollow" on every link.
"""

import re
from functools import lru_cache

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

MENTION_HREF = re.compile(r"^mention://user/(\d+)/")
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]", re.IGNORECASE)
ALLOWED_TAGS = {"p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span", "hr"}
LINK_REL = "noopener nofollow"


def _mentions_rule(state) -> None:
    """Turn links to mention://user/<id>/<name> into <span class="mention"> chips."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        opened = []
        for token in block.children:
            if token.type == "link_open":
                match = MENTION_HREF.match(token.attrGet("href") or "")
                opened.append(bool(match))
                if match:
                    token.type, token.tag = "mention_open", "span"
                    token.attrs = {"class": "mention", "data-user-id": match.group(1)}
            elif token.type == "link_close" and opened and opened.pop():
                token.type, token.tag = "mention_close", "span"


def _linkify_rule(state) -> None:
    """Make bare http(s):// and www. addresses clickable (markdown-it's linkify needs an extra package)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, depth = [], 0
        for token in block.children:
            if token.type in ("link_open", "mention_open"):
                depth += 1
            elif token.type in ("link_close", "mention_close"):
                depth -= 1
            if token.type != "text" or depth or not URL_RE.search(token.content):
                children.append(token)
                continue
            children.extend(_split_links(token.content, token.level))
        block.children = children


def _split_links(text: str, level: int) -> list[Token]:
    out, pos = [], 0
    for match in URL_RE.finditer(text):
        if match.start() > pos:
            out.append(_text(text[pos:match.start()], level))
        url = match.group(0)
        href = url if url.lower().startswith("http") else "https://" + url
        link = Token("link_open", "a", 1, level=level)
        link.attrs = {"href": href}
        out += [link, _text(url, level + 1), Token("link_close", "a", -1, level=level)]
        pos = match.end()
    if pos < len(text):
        out.append(_text(text[pos:], level))
    return out


def _text(content: str, level: int) -> Token:
    token = Token("text", "", 0, level=level)
    token.content = content
    return token


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"breaks": True, "html": False, "linkify": False})
    md.enable("strikethrough")
    md.disable(["image", "heading", "lheading", "html_block", "html_inline", "reference"])
    md.core.ruler.push("mentions", _mentions_rule)
    md.core.ruler.push("linkify_bare", _linkify_rule)
    md.add_render_rule("mention_open", lambda self, tokens, idx, options, env: (
        f'<span class="mention" data-user-id="{escape(tokens[idx].attrGet("data-user-id"))}">'))
    md.add_render_rule("mention_close", lambda self, tokens, idx, options, env: "</span>")
    return md


def sanitize(html: str) -> str:
    """Keep only the allow-listed tags and attributes; links get target=_blank and rel=noopener nofollow."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "span": {"data-user-id"}, "code": set(), "ol": {"start"}},
        allowed_classes={"span": {"mention"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        clean_content_tags={"script", "style"},
    )


def render_markdown(text: str | None) -> SafeString:
    """The message body as sanitised HTML, ready for a template."""
    if not text:
        return mark_safe("")
    return mark_safe(sanitize(_parser().render(text)).strip())


def mention_text(text: str | None) -> str:
    """Plain text with mention links shown as @Name (for list previews and notifications)."""
    return re.sub(r"\[@([^\]]*)\]\(mention://user/\d+/[^)]*\)", r"@\1", text or "")
