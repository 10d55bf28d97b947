"""WhatsApp text and phone conventions: markup ↔ Markdown, E.164 numbers and Brazil's ninth digit."""

import re

# WhatsApp marks *bold*, _italic_, ~strike~ and ```mono``` with single characters around words.
_WA_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_WA_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_WA_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?\S)\1")
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?\S)~~")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_MENTION = re.compile(r"\[@([^\]]*)\]\(mention://user/\d+/[^)]*\)")


def whatsapp_to_markdown(text: str) -> str:
    """Customer text as Markdown, so agents see WhatsApp's *bold* _italic_ ~strike~ rendered as such."""
    if not text:
        return ""
    text = _WA_BOLD.sub("\x00B\\1\x00B", text)  # placeholders: a bold star must not be re-read as italic
    text = _WA_ITALIC.sub(r"*\1*", text)
    text = _WA_STRIKE.sub(r"~~\1~~", text)
    return text.replace("\x00B", "**")


def markdown_to_whatsapp(text: str) -> str:
    """An agent's Markdown as WhatsApp markup: **b** → *b*, *i* → _i_, ~~s~~ → ~s~, [t](url) → t (url)."""
    if not text:
        return ""
    text = _MENTION.sub(r"@\1", text)
    text = _MD_LINK.sub(r"\1 (\2)", text)
    text = _MD_BOLD.sub("\x00B\\2\x00B", text)
    text = _MD_ITALIC.sub(r"_\1_", text)
    text = _MD_STRIKE.sub(r"~\1~", text)
    return text.replace("\x00B", "*")


def e164(raw: str | None) -> str | None:
    """'5511999990000' or '+55 11 99999-0000' → '+5511999990000'; None when it cannot be a phone number."""
    digits = re.sub(r"\D", "", str(raw or "").split("@", 1)[0].split(":", 1)[0])
    if not 8 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return "+" + digits


def phone_variants(number: str | None) -> list[str]:
    """The number and, for a Brazilian mobile, its twin with or without the ninth digit (same person)."""
    number = e164(number)
    if number is None:
        return []
    variants = [number]
    digits = number[1:]
    if digits.startswith("55"):
        area, rest = digits[2:4], digits[4:]
        if len(rest) == 9 and rest[0] == "9":  # +55 AA 9XXXX-XXXX → +55 AA XXXX-XXXX
            variants.append(f"+55{area}{rest[1:]}")
        elif len(rest) == 8 and rest[0] in "6789":  # a mobile written without its ninth digit
            variants.append(f"+55{area}9{rest}")
    return variants


def digits(number: str | None) -> str:
    return re.sub(r"\D", "", number or "")
