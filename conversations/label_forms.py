"""Forms for the label settings pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from autonomia.forms import StyledForm

PRESET_COLOURS = ["#1f93ff", "#44ce4b", "#ffc532", "#ff8a00", "#ff382d", "#a855f7", "#ec4899", "#14b8a6",
                  "#64748b", "#0f172a"]


class ColourInput(forms.TextInput):
    input_type = "color"


class LabelForm(StyledForm):
    title = forms.CharField(
        label=_("Label name"), max_length=255,
        help_text=_("Lower-case letters, digits, “-” and “_”, without spaces, for example “new-customer”."))
    color = forms.RegexField(label=_("Colour"), regex=r"^#[0-9a-fA-F]{6}$", initial="#1f93ff",
                             widget=ColourInput(attrs={"class": "input-colour", "list": "label-colours"}),
                             error_messages={"invalid": _("Pick a colour.")})
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("What the label is for, so everyone applies it the same way."))
    show_on_sidebar = forms.BooleanField(label=_("Show in the sidebar"), required=False, initial=True,
                                         help_text=_("Adds a folder with the label's conversations to the "
                                                     "conversation sidebar."))

    def __init__(self, *args, label=None, **kwargs):
        if label is not None:
            kwargs.setdefault("initial", {"title": label.title, "color": label.color,
                                          "description": label.description,
                                          "show_on_sidebar": label.show_on_sidebar})
        super().__init__(*args, **kwargs)

    def clean_title(self):
        return self.cleaned_data["title"].strip().lower()
