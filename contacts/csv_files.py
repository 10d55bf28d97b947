"""CSV in and out for contact imports and exports: reading an uploaded file, writing rows safely for
spreadsheets. Pure functions on bytes and dicts; the writes they feed live in contacts/actions.py."""

import csv
import datetime as dt
import io
import json

from django.utils.translation import gettext as _

from autonomia.actions import DomainError

MAX_IMPORT_ROWS = 50_000
# Columns that set a contact's own fields; `company`/`company_name` and `city` go to additional_attributes
# (as in Chatwoot's DataImport::ContactManager); every other column is a custom attribute.
FIELD_COLUMNS = ("name", "email", "phone_number", "identifier")
ADDITIONAL_COLUMNS = {"company": "company_name", "company_name": "company_name", "city": "city"}


def read_import_file(data: bytes) -> list[tuple[int, dict]]:
    """The rows of an import CSV as (line number, {column: value}); DomainError when it is not a CSV with a
    header naming at least one of name, email, phone_number, identifier."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("The file must be a CSV encoded in UTF-8."), field="import_file") from None
    if "\x00" in text:
        raise DomainError(_("The file must be a CSV encoded in UTF-8."), field="import_file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [column.strip() for column in next(reader, [])]
        if not {column.lower() for column in header} & set(FIELD_COLUMNS):
            raise DomainError(_("The first line must name the columns: name, email, phone_number or identifier."),
                              field="import_file")
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise DomainError(_("The file has more than %(count)s contacts.") % {"count": MAX_IMPORT_ROWS},
                                  field="import_file")
            rows.append((reader.line_num, {column: value.strip() for column, value in zip(header, values)
                                           if column}))
    except csv.Error as error:
        raise DomainError(_("The file is not a valid CSV: %(error)s") % {"error": error},
                          field="import_file") from None
    if not rows:
        raise DomainError(_("The file has no contacts."), field="import_file")
    return rows


def split_row(row: dict) -> tuple[dict, dict, dict]:
    """(contact fields, additional attributes, custom attributes) of one row; empty cells are left out."""
    fields, additional, custom = {}, {}, {}
    for column, value in row.items():
        if not value:
            continue
        key = column.lower()
        if key in FIELD_COLUMNS:
            fields[key] = value
        elif key in ADDITIONAL_COLUMNS:
            additional[ADDITIONAL_COLUMNS[key]] = value
        else:
            custom[column] = value
    return fields, additional, custom


def _cell(value) -> str:
    """A value as CSV text; text a spreadsheet would run as a formula gets a leading apostrophe (phone
    numbers such as +5511912345678 stay as they are)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not text[1:].replace(" ", "").isdigit()):
        return "'" + text
    return text


def write_rows(header: list[str], rows) -> bytes:
    """A UTF-8 CSV with a byte-order mark (so spreadsheets read accents right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")
