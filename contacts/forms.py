"""Forms of the contact panel: the contact's details and labels."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    """Name, email, phone, company and city; phone format and uniqueness are checked by the action."""

    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone_number = forms.CharField(label=_("Phone"), max_length=32, required=False,
                                   help_text=_("International format, e.g. +5511912345678"))
    company_name = forms.CharField(label=_("Company"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=255, required=False)

    @classmethod
    def for_contact(cls, contact, data=None):
        initial = {"name": contact.name, "email": contact.email, "phone_number": contact.phone_number,
                   "company_name": contact.additional_attributes.get("company_name", ""),
                   "city": contact.additional_attributes.get("city", "")}
        return cls(data, initial=initial)

    def update_fields(self, contact) -> dict:
        """Keyword arguments for contacts.actions.update_contact (other attributes are kept)."""
        data = self.cleaned_data
        attributes = {**contact.additional_attributes, "company_name": data["company_name"].strip(),
                      "city": data["city"].strip()}
        return {"name": data["name"].strip(), "email": data["email"], "phone_number": data["phone_number"],
                "additional_attributes": attributes}


class ContactLabelsForm(forms.Form):
    labels = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, contact, labels, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        if current is None:
            current = contact.label_rows.values_list("title", flat=True)
        titles = {label.title for label in labels} | set(current)
        self.fields["labels"].choices = [(t, t) for t in sorted(titles)]
