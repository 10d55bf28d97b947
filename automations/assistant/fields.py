"""The fields the assistant collects: validation per kind (CNPJ, CPF, email, phone, number, text) and masking
of personal data before text leaves for the model (LGPD)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

KINDS = ("text", "cnpj", "cpf", "email", "phone", "number", "city")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _cpf_ok(d: str) -> bool:
    if len(d) != 11 or d == d[0] * 11:
        return False
    for size in (9, 10):
        total = sum(int(d[i]) * (size + 1 - i) for i in range(size))
        if (total * 10 % 11) % 10 != int(d[size]):
            return False
    return True


def _cnpj_ok(d: str) -> bool:
    if len(d) != 14 or d == d[0] * 14:
        return False
    for size in (12, 13):
        weights = ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] if size == 12 else [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
        remainder = sum(int(d[i]) * weights[i] for i in range(size)) % 11
        if (0 if remainder < 2 else 11 - remainder) != int(d[size]):
            return False
    return True


def clean_value(kind: str, raw: str) -> str:
    """The value normalised for storage, or ValueError with a message for the customer."""
    value = (raw or "").strip()
    if not value:
        raise ValueError(_("This information is required."))
    if len(value) > 200:
        raise ValueError(_("That is too long."))
    if kind == "cnpj":
        d = _digits(value)
        if not _cnpj_ok(d):
            raise ValueError(_("That CNPJ is not valid. Please check the 14 digits."))
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"
    if kind == "cpf":
        d = _digits(value)
        if not _cpf_ok(d):
            raise ValueError(_("That CPF is not valid. Please check the 11 digits."))
        return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"
    if kind == "email":
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(_("That email address does not look right.")) from None
        return value.lower()
    if kind == "phone":
        d = _digits(value)
        if not 10 <= len(d) <= 13:
            raise ValueError(_("That phone number does not look right. Include the area code."))
        return "+" + (d if d.startswith("55") and len(d) >= 12 else "55" + d)
    if kind == "number":
        if not re.fullmatch(r"-?\d{1,12}(?:[.,]\d{1,4})?", value):
            raise ValueError(_("Please answer with a number."))
        return value.replace(",", ".")
    return value


# --- Masking (LGPD): placeholders go to the model, the real values stay here ---------------------

PATTERNS = [
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("CNPJ", re.compile(r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b")),
    ("CPF", re.compile(r"\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b")),
    ("CARD", re.compile(r"\b(?:\d[ -]?){13,19}\b")),
    ("PHONE", re.compile(r"(?:\+?55[\s-]?)?\(?\b\d{2}\)?[\s-]?9?\d{4}[\s-]?\d{4}\b")),
]


def _luhn(number: str) -> bool:
    digits = [int(c) for c in _digits(number)][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


class Masker:
    """Replaces CPF, card numbers, emails and phones by stable placeholders ([CPF_1]) and restores them."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.values: dict[str, str] = {}

    def mask(self, text: str) -> str:
        if not self.enabled or not text:
            return text or ""
        for kind, pattern in PATTERNS:
            text = pattern.sub(lambda m, kind=kind: self._token(kind, m.group(0)), text)
        return text

    def _token(self, kind: str, value: str) -> str:
        if kind == "CARD" and not _luhn(value):
            return value
        if kind == "CNPJ":
            return value  # a company's registration number is not personal data
        for token, known in self.values.items():
            if known == value:
                return token
        token = f"[{kind}_{sum(1 for t in self.values if t.startswith('[' + kind)) + 1}]"
        self.values[token] = value
        return token

    def unmask(self, text: str) -> str:
        for token, value in self.values.items():
            text = text.replace(token, value)
        return text
