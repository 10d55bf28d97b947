"""Forms for the inbox settings pages: new inbox, general, business hours, assignment, members, API channel."""

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from autonomia.forms import AvatarField, MemberChoiceField, StyledForm, member_choices, time_zone_choices
from inboxes.models import Inbox

# Monday first on screen; values are Chatwoot's day_of_week (0 = Sunday).
WEEKDAYS = [(1, _("Monday")), (2, _("Tuesday")), (3, _("Wednesday")), (4, _("Thursday")), (5, _("Friday")),
            (6, _("Saturday")), (0, _("Sunday"))]
DAY_MODES = [("hours", pgettext_lazy("business hours of a day", "Open")), ("open_all_day", _("Open 24 hours")), ("closed_all_day", _("Closed"))]


class InboxNewForm(StyledForm):
    name = forms.CharField(label=_("Inbox name"), max_length=255,
                           help_text=_("Only your team sees this name, for example “Support” or “Sales”."))
    webhook_url = forms.URLField(
        label=_("Webhook URL"), required=False, assume_scheme="https",
        help_text=_("Autonomia posts new messages and conversation changes here. You can set it later."))
    member_ids = MemberChoiceField(label=_("Agents"),
                                   help_text=_("Agents who answer this inbox. Administrators see every inbox."))

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_ids"].choices = member_choices(memberships)


class InboxGeneralForm(StyledForm):
    name = forms.CharField(label=_("Inbox name"), max_length=255)
    avatar = AvatarField(label=_("Inbox picture"))
    remove_avatar = forms.BooleanField(label=_("Remove the current picture"), required=False)
    greeting_enabled = forms.BooleanField(label=_("Send a greeting when a new conversation starts"), required=False)
    greeting_message = forms.CharField(label=_("Greeting message"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    lock_to_single_conversation = forms.BooleanField(
        label=_("Keep one conversation per contact"), required=False,
        help_text=_("New messages from a contact reopen their last conversation instead of starting a new one."))
    allow_messages_after_resolved = forms.BooleanField(
        label=_("Accept messages after a conversation is resolved"), required=False,
        help_text=_("When off, a contact cannot write again in a resolved conversation."))

    FIELDS = ("name", "greeting_enabled", "greeting_message", "lock_to_single_conversation",
              "allow_messages_after_resolved")

    def __init__(self, *args, inbox: Inbox, **kwargs):
        kwargs.setdefault("initial", {name: getattr(inbox, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean(self):
        data = super().clean()
        if data.get("greeting_enabled") and not (data.get("greeting_message") or "").strip():
            self.add_error("greeting_message", _("Write the greeting, or turn the greeting off."))
        return data

    @property
    def settings(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class InboxAssignmentForm(StyledForm):
    enable_auto_assignment = forms.BooleanField(
        label=_("Assign new conversations automatically"), required=False,
        help_text=_("Conversations go to the online agent of this inbox who was assigned least recently."))
    max_assignment_limit = forms.IntegerField(
        label=_("Maximum open conversations per agent"), required=False, min_value=1, max_value=1000,
        help_text=_("Agents with this many open conversations are skipped. Leave empty for no limit."))

    def __init__(self, *args, inbox: Inbox, **kwargs):
        kwargs.setdefault("initial", {"enable_auto_assignment": inbox.enable_auto_assignment,
                                      "max_assignment_limit": inbox.max_assignment_limit})
        super().__init__(*args, **kwargs)


class ApiChannelForm(StyledForm):
    webhook_url = forms.URLField(
        label=_("Webhook URL"), required=False, assume_scheme="https",
        help_text=_("Autonomia posts new messages and conversation changes here. Leave empty to stop."))

    def __init__(self, *args, inbox: Inbox, **kwargs):
        kwargs.setdefault("initial", {"webhook_url": inbox.api_channel.webhook_url})
        super().__init__(*args, **kwargs)


class InboxMembersForm(StyledForm):
    member_ids = MemberChoiceField(label=_("Agents in this inbox"))

    def __init__(self, *args, memberships, member_ids, **kwargs):
        kwargs.setdefault("initial", {"member_ids": sorted(member_ids)})
        super().__init__(*args, **kwargs)
        self.fields["member_ids"].choices = member_choices(memberships)


def parse_holidays(text: str) -> tuple[list[str], list[str]]:
    """Dates (YYYY-MM-DD or DD/MM/YYYY), one per line or separated by commas → (ISO dates, invalid entries)."""
    dates, invalid = set(), []
    for entry in re.split(r"[\s,;]+", text.strip()):
        if not entry:
            continue
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                dates.add(dt.datetime.strptime(entry, fmt).date().isoformat())
                break
            except ValueError:
                continue
        else:
            invalid.append(entry)
    return sorted(dates), invalid


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self):
        super().__init__(format="%H:%M", attrs={"class": "input input-time"})


class InboxHoursForm(StyledForm):
    working_hours_enabled = forms.BooleanField(
        label=_("Enable business hours"), required=False,
        help_text=_("Outside these hours contacts get the out-of-office message."))
    timezone = forms.ChoiceField(label=_("Time zone"))
    out_of_office_message = forms.CharField(
        label=_("Out-of-office message"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent when a contact writes outside business hours or on a holiday."))
    holidays = forms.CharField(
        label=_("Holidays"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Dates when the team does not work, one per line, for example 25/12/2026."))

    def __init__(self, *args, inbox: Inbox, hours, **kwargs):
        initial = {"working_hours_enabled": inbox.working_hours_enabled, "timezone": inbox.timezone,
                   "out_of_office_message": inbox.out_of_office_message,
                   "holidays": "\n".join(dt.date.fromisoformat(d).strftime("%d/%m/%Y") for d in inbox.holidays)}
        by_day = {row.day_of_week: row for row in hours}
        for day, _label in WEEKDAYS:
            row = by_day.get(day)
            mode = "hours" if row is None else (
                "closed_all_day" if row.closed_all_day else "open_all_day" if row.open_all_day else "hours")
            initial[f"day_{day}_mode"] = mode
            initial[f"day_{day}_open"] = dt.time(row.open_hour, row.open_minutes) if row else dt.time(9)
            initial[f"day_{day}_close"] = dt.time(row.close_hour, row.close_minutes) if row else dt.time(17)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices(inbox.timezone)
        for day, label in WEEKDAYS:
            self.fields[f"day_{day}_mode"] = forms.ChoiceField(label=label, choices=DAY_MODES,
                                                               widget=forms.Select(attrs={"class": "select"}))
            self.fields[f"day_{day}_open"] = forms.TimeField(label=_("Opens at"), required=False, widget=TimeInput())
            self.fields[f"day_{day}_close"] = forms.TimeField(label=_("Closes at"), required=False, widget=TimeInput())

    def clean_holidays(self):
        dates, invalid = parse_holidays(self.cleaned_data["holidays"])
        if invalid:
            raise forms.ValidationError(_("These are not dates: %(entries)s. Use DD/MM/YYYY."),
                                        params={"entries": ", ".join(invalid)})
        return dates

    def clean(self):
        data = super().clean()
        for day, _label in WEEKDAYS:
            if data.get(f"day_{day}_mode") != "hours":
                continue
            opens, closes = data.get(f"day_{day}_open"), data.get(f"day_{day}_close")
            if opens is None or closes is None:
                self.add_error(f"day_{day}_close", _("Enter the opening and closing times."))
            elif closes <= opens:
                self.add_error(f"day_{day}_close", _("Closing time must be after opening time."))
        return data

    @property
    def days(self) -> list[dict]:
        """Rows for the template: the day's label and its three bound fields."""
        return [{"day": day, "label": label, "mode": self[f"day_{day}_mode"], "open": self[f"day_{day}_open"],
                 "close": self[f"day_{day}_close"]} for day, label in WEEKDAYS]

    @property
    def settings(self) -> dict:
        data = self.cleaned_data
        return {"working_hours_enabled": data["working_hours_enabled"], "timezone": data["timezone"],
                "out_of_office_message": data["out_of_office_message"], "holidays": data["holidays"]}

    @property
    def hours(self) -> list[dict]:
        """The rows for inboxes.actions.set_working_hours."""
        rows = []
        for day, _label in WEEKDAYS:
            mode = self.cleaned_data[f"day_{day}_mode"]
            opens = self.cleaned_data.get(f"day_{day}_open") or dt.time(9)
            closes = self.cleaned_data.get(f"day_{day}_close") or dt.time(17)
            rows.append({"day_of_week": day, "closed_all_day": mode == "closed_all_day",
                         "open_all_day": mode == "open_all_day", "open_hour": opens.hour,
                         "open_minutes": opens.minute, "close_hour": closes.hour, "close_minutes": closes.minute})
        return rows


def hours_error_field(form: InboxHoursForm, field: str | None) -> str | None:
    """set_working_hours names a day ("day_3"); its errors go under that day's closing time."""
    if field in form.fields:
        return field
    if field and f"{field}_close" in form.fields:
        return f"{field}_close"
    return None
