"""Background jobs for contacts: take ids, load, call the action; safe to run twice."""

from celery import shared_task

from contacts import actions


@shared_task(queue="bulk", acks_late=True)
def process_contact_import_task(contact_import_id: int) -> int:
    """Import an uploaded CSV of contacts (resumes after the last committed batch); answers the rows done."""
    job = actions.process_contact_import(contact_import_id)
    return job.processed_records if job else 0


@shared_task(queue="bulk", acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def build_contact_export_task(contact_export_id: int) -> int:
    """Write a contacts export and email its link (a mail server outage is retried); answers the rows."""
    export = actions.build_contact_export(contact_export_id)
    return export.row_count if export else 0
