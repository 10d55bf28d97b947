"""Message Markdown → sanitised HTML: the subset we render, mentions, links, and XSS vectors."""

from html.parser import HTMLParser

import pytest

from conversations.rendering import mention_text, render_markdown


def elements(html: str) -> list[tuple[str, dict]]:
    """(tag, attributes) of every element, as a browser would parse them."""
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Parser().feed(html)
    return found


def assert_inert(html: str) -> None:
    """No script-capable tags, no event handlers, no styles, only http(s)/mailto links."""
    for tag, attrs in elements(html):
        assert tag not in {"script", "img", "svg", "iframe", "object", "embed", "style", "form", "input", "div"}
        assert not any(name.startswith("on") or name == "style" for name in attrs), (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].split(":")[0].lower() in {"http", "https", "mailto"}, attrs


@pytest.mark.parametrize("text", [
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
])
def test_raw_html_is_shown_as_text(text):
    html = render_markdown(text)
    assert_inert(html)
    assert "&lt;" in html  # the customer sees what they typed


@pytest.mark.parametrize("text", [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[x](file:///etc/passwd)",
])
def test_dangerous_links_never_become_hrefs(text):
    html = render_markdown(text)
    assert_inert(html)
    assert not any(tag == "a" for tag, _ in elements(html))


def test_images_are_not_rendered():
    assert "<img" not in render_markdown("![pixel](https://tracker.example/p.gif)")


def test_links_get_rel_and_target():
    html = render_markdown("[site](https://example.com) e [mail](mailto:a@b.co)")
    assert '<a href="https://example.com" target="_blank" rel="noopener nofollow">site</a>' in html
    assert 'href="mailto:a@b.co"' in html


def test_bare_urls_become_links_but_not_inside_code():
    html = render_markdown("veja https://example.com/a?b=1. e `https://no.link`")
    assert '<a href="https://example.com/a?b=1"' in html
    assert "<code>https://no.link</code>" in html


def test_markdown_subset():
    html = render_markdown("**negrito** _itálico_ ~~riscado~~\n- um\n- dois\n\n> citação\n\n`code`")
    for tag in ("<strong>negrito</strong>", "<em>itálico</em>", "<s>riscado</s>", "<li>um</li>",
                "<blockquote>", "<code>code</code>"):
        assert tag in html


def test_line_breaks_are_kept():
    assert "<br>" in render_markdown("linha 1\nlinha 2")


def test_headings_are_plain_text():
    assert "<h1" not in render_markdown("# Título")


def test_mentions_become_chips():
    html = render_markdown("oi [@Ana Souza](mention://user/12/Ana%20Souza), tudo bem?")
    assert '<span class="mention" data-user-id="12">@Ana Souza</span>' in html
    assert "mention://" not in html and "<a" not in html


def test_mention_chip_cannot_smuggle_attributes():
    html = render_markdown('[@x" onmouseover="alert(1)](mention://user/1/x)')
    assert_inert(html)
    assert elements(html)[1] == ("span", {"class": "mention", "data-user-id": "1"})


def test_mention_text_for_previews():
    assert mention_text("oi [@Ana](mention://user/1/Ana)!") == "oi @Ana!"


def test_empty():
    assert render_markdown("") == "" and render_markdown(None) == ""
