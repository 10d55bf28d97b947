"""Forms of the agent inbox: reply box (attachment checks), status, assignee, team, labels, priority, bulk."""

import datetime as dt
import io
import os
import re
import unicodedata
import uuid

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autonomia.models import Team, User
from conversations.models import Attachment, Conversation

Status = Conversation.Status
FileType = Attachment.FileType
MAX_FILES = 10
THUMBNAIL_SIZE = (480, 480)
MAX_IMAGE_PIXELS = 50_000_000

STATUS_VALUES = {"open": Status.OPEN, "resolved": Status.RESOLVED, "pending": Status.PENDING,
                 "snoozed": Status.SNOOZED}
PRIORITY_VALUES = {"low": Conversation.Priority.LOW, "medium": Conversation.Priority.MEDIUM,
                   "high": Conversation.Priority.HIGH, "urgent": Conversation.Priority.URGENT}
SNOOZE_CHOICES = [
    ("1h", _("1 hour")),
    ("tomorrow", _("Tomorrow")),
    ("next_week", _("Next week")),
    ("next_reply", _("Until next reply")),
    ("custom", _("Custom date")),
]

# Extension → (sniffed kind the bytes must be, attachment type, content type we store and serve).
EXTENSIONS = {
    "jpg": ("jpeg", FileType.IMAGE, "image/jpeg"), "jpeg": ("jpeg", FileType.IMAGE, "image/jpeg"),
    "png": ("png", FileType.IMAGE, "image/png"), "gif": ("gif", FileType.IMAGE, "image/gif"),
    "webp": ("webp", FileType.IMAGE, "image/webp"),
    "mp3": ("mpeg_audio", FileType.AUDIO, "audio/mpeg"), "aac": ("mpeg_audio", FileType.AUDIO, "audio/aac"),
    "ogg": ("ogg", FileType.AUDIO, "audio/ogg"), "oga": ("ogg", FileType.AUDIO, "audio/ogg"),
    "opus": ("ogg", FileType.AUDIO, "audio/ogg"), "wav": ("wav", FileType.AUDIO, "audio/wav"),
    "m4a": ("mp4", FileType.AUDIO, "audio/mp4"), "amr": ("amr", FileType.AUDIO, "audio/amr"),
    "mp4": ("mp4", FileType.VIDEO, "video/mp4"), "mov": ("mp4", FileType.VIDEO, "video/quicktime"),
    "3gp": ("mp4", FileType.VIDEO, "video/3gpp"), "webm": ("webm", FileType.VIDEO, "video/webm"),
    "pdf": ("pdf", FileType.FILE, "application/pdf"),
    "zip": ("zip", FileType.FILE, "application/zip"),
    "docx": ("zip", FileType.FILE, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("zip", FileType.FILE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("zip", FileType.FILE, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "odt": ("zip", FileType.FILE, "application/vnd.oasis.opendocument.text"),
    "ods": ("zip", FileType.FILE, "application/vnd.oasis.opendocument.spreadsheet"),
    "doc": ("ole", FileType.FILE, "application/msword"), "xls": ("ole", FileType.FILE, "application/vnd.ms-excel"),
    "ppt": ("ole", FileType.FILE, "application/vnd.ms-powerpoint"),
    "txt": ("text", FileType.FILE, "text/plain"), "csv": ("text", FileType.FILE, "text/csv"),
    # SVG can carry script: stored as a plain file and always served as a download.
    "svg": ("svg", FileType.FILE, "image/svg+xml"),
}
SIGNATURES = [
    (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"), (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"), (b"OggS", "ogg"),
    (b"ID3", "mpeg_audio"), (b"\x1a\x45\xdf\xa3", "webm"), (b"#!AMR", "amr"),
]


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is (None when unknown or binary)."""
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "webp" if head[8:12] == b"WEBP" else "wav"
    if head[4:8] == b"ftyp":
        return "mp4"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mpeg_audio"
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith("<svg") or (text.startswith("<?xml") and "<svg" in text):
        return "svg"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # a multi-byte character cut at the end of the sample is fine
            return None
    return "text"


def clean_file_name(name: str) -> str:
    """The original name without folders or control characters, at most 200 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    return name.strip()[:200] or "file"


def prepare_attachment(upload) -> dict:
    """Check an uploaded file (size, allowed type, bytes matching the extension) → Attachment fields."""
    name = clean_file_name(upload.name)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise forms.ValidationError(_("%(name)s is larger than %(limit)s.") % {
            "name": name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)})
    if extension not in EXTENSIONS:
        raise forms.ValidationError(_("%(name)s: this file type is not allowed.") % {"name": name})
    kind, file_type, content_type = EXTENSIONS[extension]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if sniff(head) != kind:
        raise forms.ValidationError(_("%(name)s does not look like a .%(ext)s file.") % {
            "name": name, "ext": extension})
    data = {"file_type": file_type, "file_name": name, "content_type": content_type, "file_size": upload.size,
            "extension": extension}
    if file_type == FileType.IMAGE:
        data.update(_image_fields(upload, name))
    upload.name = f"{uuid.uuid4().hex}.{extension}"  # the stored name; the original stays in file_name
    data["file"] = upload
    return data


def _image_fields(upload, name: str) -> dict:
    """Width, height and a small thumbnail; refuses files Pillow cannot decode."""
    from PIL import Image, ImageOps

    try:
        with Image.open(upload) as image:
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise forms.ValidationError(_("%(name)s has too many pixels.") % {"name": name})
            image = ImageOps.exif_transpose(image)
            width, height = image.size
            image.thumbnail(THUMBNAIL_SIZE)
            alpha = image.mode in ("RGBA", "LA", "P")
            image = image.convert("RGBA" if alpha else "RGB")
            buffer = io.BytesIO()
            image.save(buffer, "PNG" if alpha else "JPEG", **({} if alpha else {"quality": 82}))
    except forms.ValidationError:
        raise
    except Exception:  # noqa: BLE001 (Pillow raises many kinds of errors on broken or hostile images)
        raise forms.ValidationError(_("%(name)s is not a valid image.") % {"name": name}) from None
    finally:
        upload.seek(0)
    thumb_name = f"{uuid.uuid4().hex}.{'png' if alpha else 'jpg'}"
    return {"width": width, "height": height, "thumbnail": ContentFile(buffer.getvalue(), name=thumb_name)}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ReplyForm(forms.Form):
    """A reply to the customer or a private note, with optional attachments."""

    content = forms.CharField(required=False, max_length=150_000, strip=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    private = forms.BooleanField(required=False)
    attachments = MultipleFileField(required=False)

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most %(n)d files at a time.") % {"n": MAX_FILES})
        prepared, errors = [], []
        for upload in files:
            try:
                prepared.append(prepare_attachment(upload))
            except forms.ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise forms.ValidationError(errors)
        return prepared

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("content") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data


def snooze_until(option: str, custom: dt.datetime | None = None, now: dt.datetime | None = None):
    """When a snooze option ends, in the agent's time zone (None: until the next reply)."""
    local = timezone.localtime(now or timezone.now())
    nine = {"hour": 9, "minute": 0, "second": 0, "microsecond": 0}
    if option == "1h":
        return local + dt.timedelta(hours=1)
    if option == "tomorrow":
        return (local + dt.timedelta(days=1)).replace(**nine)
    if option == "next_week":
        return (local + dt.timedelta(days=7 - local.weekday())).replace(**nine)  # next Monday
    if option == "custom":
        return custom
    return None


class StatusForm(forms.Form):
    """Open, resolve, mark pending or snooze (with one of the snooze options)."""

    status = forms.ChoiceField(choices=[(k, k) for k in STATUS_VALUES])
    snooze = forms.ChoiceField(choices=SNOOZE_CHOICES, required=False)
    snoozed_until = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args, conversation=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        data["until"] = None
        if data.get("status") == "snoozed":
            option = data.get("snooze") or "next_reply"
            if option == "custom" and not data.get("snoozed_until"):
                raise forms.ValidationError(_("Choose the date and time to snooze until."))
            data["until"] = snooze_until(option, data.get("snoozed_until"))
        data["value"] = STATUS_VALUES.get(data.get("status"))
        return data


class AssigneeForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, conversation, **kwargs):
        super().__init__(*args, **kwargs)
        from conversations.queries import viewer_ids

        self.fields["assignee"].queryset = User.objects.filter(pk__in=viewer_ids(conversation), is_active=True)


class TeamForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    def __init__(self, *args, conversation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(account_id=conversation.account_id)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=[("", "none"), *[(k, k) for k in PRIORITY_VALUES]], required=False)

    def __init__(self, *args, conversation=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        data["value"] = PRIORITY_VALUES.get(data.get("priority") or "")
        return data


class LabelsForm(forms.Form):
    """The conversation's labels: any of the account's labels (and the ones it already has)."""

    labels = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, conversation, **kwargs):
        super().__init__(*args, **kwargs)
        from conversations.queries import visible_labels

        titles = set(visible_labels(conversation.account_id).values_list("title", flat=True))
        titles |= set(conversation.label_rows.values_list("title", flat=True))
        self.fields["labels"].choices = [(t, t) for t in sorted(titles)]


class BulkForm(forms.Form):
    """One action on many conversations of the list."""

    ACTIONS = ("resolve", "open", "pending", "snooze", "assign", "team", "label")

    ids = forms.TypedMultipleChoiceField(coerce=int, required=True, choices=[])
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    assignee = forms.CharField(required=False)  # user id, or "none" to unassign
    team = forms.CharField(required=False)  # team id, or "none"
    label = forms.CharField(required=False, max_length=255)
    snooze = forms.ChoiceField(choices=SNOOZE_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else self.data.get("ids", [])
        self.fields["ids"].choices = [(v, v) for v in raw if re.fullmatch(r"\d{1,9}", str(v))][:100]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        for name in {"assign": "assignee", "team": "team", "label": "label"}.get(action, "").split():
            if not data.get(name):
                self.add_error(name, _("Choose a value."))
        return data
