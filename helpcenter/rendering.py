"""Article Markdown → safe HTML, with a table of contents and a plain-text copy for search.

Markdown (CommonMark + tables + strikethrough) is rendered with raw HTML disabled, so typed tags show as text.
A paragraph holding only a YouTube or Vimeo link becomes a placeholder `<div class="embed">` with a
validated video id; after nh3 has sanitised everything against an allow-list (no script, no event handlers,
no javascript: URLs, no iframes), the placeholders — and only they — are turned into privacy-friendly iframes.
Headings get stable ids prefixed with `h-` (no DOM clobbering of page globals) for the table of contents.
"""

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt

YOUTUBE = re.compile(r"^https?://(?:www\.|m\.)?(?:youtube\.com/watch\?(?:[^#\s]*&)?v=|youtu\.be/|youtube\.com/embed/"
                     r"|youtube-nocookie\.com/embed/)([A-Za-z0-9_-]{6,20})(?:[&?#][^\s]*)?$")
VIMEO = re.compile(r"^https?://(?:www\.|player\.)?vimeo\.com/(?:video/)?(\d{4,12})(?:[/?#][^\s]*)?$")
EMBED_PLACEHOLDER = re.compile(r'<div class="embed" data-provider="(youtube|vimeo)" data-video="([A-Za-z0-9_-]{4,20})">'
                               r"</div>")
EMBED_SRC = {"youtube": "https://www.youtube-nocookie.com/embed/{}", "vimeo": "https://player.vimeo.com/video/{}"}
FRAME_SOURCES = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]

ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul", "ol",
                "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "hr", "div"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "ol": {"start"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "th": {"align"}, "td": {"align"},
    "div": {"data-provider", "data-video"},
}


@dataclass
class RenderedArticle:
    html: SafeString
    toc: list[dict] = field(default_factory=list)  # [{"level": 2, "id": "h-...", "text": "..."}]
    text: str = ""


def _heading_ids(state) -> None:
    """Demote # to h2 (the page title is the h1) and give every heading a unique `h-<slug>` id."""
    seen: dict[str, int] = {}
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        level = min(4, max(2, int(token.tag[1]) + (1 if token.tag == "h1" else 0)))
        token.tag = f"h{level}"
        if token.type == "heading_open":
            text = tokens[index + 1].content if index + 1 < len(tokens) else ""
            base = "h-" + (slugify(text) or "section")
            seen[base] = seen.get(base, 0) + 1
            token.attrSet("id", base if seen[base] == 1 else f"{base}-{seen[base]}")


def _embeds(state) -> None:
    """A paragraph whose only content is a YouTube/Vimeo URL (bare or as its own link) becomes an embed."""
    tokens = state.tokens
    for index in range(1, len(tokens) - 1):
        token = tokens[index]
        if token.type != "inline" or tokens[index - 1].type != "paragraph_open":
            continue
        url = token.content.strip()
        if url.startswith("<") and url.endswith(">"):
            url = url[1:-1]
        for provider, pattern in (("youtube", YOUTUBE), ("vimeo", VIMEO)):
            match = pattern.match(url)
            if match:
                tokens[index - 1].type = tokens[index + 1].type = "embed_skip"
                token.type, token.meta = "embed", {"provider": provider, "video": match.group(1)}
                break


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("hc_heading_ids", _heading_ids)
    md.core.ruler.push("hc_embeds", _embeds)
    md.add_render_rule("embed_skip", lambda self, tokens, idx, options, env: "")
    md.add_render_rule("embed", lambda self, tokens, idx, options, env: (
        f'<div class="embed" data-provider="{tokens[idx].meta["provider"]}" '
        f'data-video="{html.escape(tokens[idx].meta["video"])}"></div>\n'))
    return md


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Only embed placeholders keep their data attributes; headings keep only `h-` ids."""
    if tag == "div" and attribute in ("data-provider", "data-video"):
        return value if re.fullmatch(r"[A-Za-z0-9_-]{1,20}", value) else None
    if attribute == "id":
        return value if value.startswith("h-") else None
    return value


def sanitize(raw_html: str) -> str:
    """The allow-listed subset of `raw_html`: safe tags, http(s)/mailto/relative links, no scripts or handlers."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"div": {"embed"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow ugc",
        clean_content_tags={"script", "style"},
        attribute_filter=_attribute_filter,
    )


def _iframe(match: re.Match) -> str:
    provider, video = match.group(1), match.group(2)
    src = EMBED_SRC[provider].format(video)
    return (f'<div class="embed"><iframe src="{src}" title="{provider.capitalize()} video" loading="lazy" '
            'allow="encrypted-media; picture-in-picture; fullscreen" allowfullscreen '
            'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>')


def render_article(content: str | None) -> RenderedArticle:
    """The article's sanitised HTML, its table of contents (h2/h3) and plain text."""
    if not content:
        return RenderedArticle(html=mark_safe(""))
    clean = sanitize(_parser().render(content))
    toc = [{"level": int(level), "id": anchor, "text": html.unescape(strip_tags(text)).strip()}
           for level, anchor, text in re.findall(r'<h([23]) id="(h-[^"]+)">(.*?)</h\1>', clean)]
    return RenderedArticle(html=mark_safe(EMBED_PLACEHOLDER.sub(_iframe, clean)), toc=toc, text=plain_text(clean))


def plain_text(clean_html: str) -> str:
    """Text of sanitised HTML with block boundaries kept as spaces."""
    spaced = re.sub(r"</(p|h[1-6]|li|td|th|pre|blockquote|div)>|<br\s*/?>", " ", clean_html)
    return re.sub(r"\s+", " ", html.unescape(strip_tags(spaced))).strip()
