"""The contact panel of the inbox: edit a contact's details and labels."""

from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autonomia.actions import DomainError
from autonomia.views import account_view
from contacts import actions, queries
from contacts.forms import ContactForm, ContactLabelsForm
from contacts.queries import access_contact
from conversations.queries import visible_labels

PANEL = "contacts/contact_panel.html"


@account_view
@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id):
    """GET: the edit form (?view=1: the details again); POST: save and show the details (422 on errors)."""
    contact = access_contact(request.account_user, contact_id)
    if request.method == "GET":
        if request.GET.get("view"):
            return render(request, f"{PANEL}#contact-details", {"contact": contact})
        return render(request, f"{PANEL}#contact-form",
                      {"contact": contact, "contact_form": ContactForm.for_contact(contact)})
    form = ContactForm.for_contact(contact, request.POST)
    if form.is_valid():
        try:
            actions.update_contact(contact, actor=request.account_user.user, **form.update_fields(contact))
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return render(request, f"{PANEL}#contact-details", {"contact": contact})
    return render(request, f"{PANEL}#contact-form", {"contact": contact, "contact_form": form}, status=422)


@account_view
@require_POST
def contact_labels(request, contact_id):
    """Replace the contact's labels with the checked ones."""
    contact = access_contact(request.account_user, contact_id)
    labels = list(visible_labels(request.account_user.account_id))
    form = ContactLabelsForm(request.POST, contact=contact, labels=labels)
    if form.is_valid():
        actions.set_contact_labels(contact, actor=request.account_user.user, titles=form.cleaned_data["labels"])
    colors = {label.title: label.color for label in labels}
    titles = queries.contact_labels(contact)
    context = {"contact": contact, "contact_label_list": [(t, colors.get(t, "#94a3b8")) for t in titles],
               "labels_form": ContactLabelsForm(contact=contact, labels=labels, current=titles,
                                                initial={"labels": titles})}
    return render(request, f"{PANEL}#contact-labels", context, status=200 if form.is_valid() else 422)



@account_view
@require_GET
def export_download(request, token):
    """The CSV of a contacts export, by the signed link of its email; 410 once the link has expired."""
    export = queries.access_contact_export(request.account_user, token)
    if export is None:
        return render(request, "contacts/export_expired.html", status=410)
    response = FileResponse(export.export_file.open("rb"), as_attachment=True, content_type="text/csv",
                            filename=f"contacts-{export.created_at:%Y-%m-%d}.csv")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
