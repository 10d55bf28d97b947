"""The Celery app: queues and the beat schedule (also run in-process by the embedded scheduler)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autonomia.settings")

app = Celery("autonomia", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Queues by priority (targets.md §5.5): ingest > realtime > default > bulk.
app.conf.task_routes = {
    "inboxes.*": {"queue": "ingest"},
    "reports.*": {"queue": "bulk"},
    # Outbound HTTP waits on other people's servers: its own queue, served by a threaded worker.
    "automations.tasks.deliver_webhook": {"queue": "webhooks"},
}

BEAT_SCHEDULE = {
    "wake-snoozed-conversations": {
        "task": "conversations.tasks.wake_snoozed_conversations_task",
        "schedule": 60.0,
    },
    "auto-resolve-conversations": {
        "task": "conversations.tasks.auto_resolve_conversations_task",
        "schedule": 300.0,
    },
    "retry-webhook-deliveries": {  # DB-scheduled webhook retries whose Celery wake-up was lost
        "task": "automations.tasks.retry_webhook_deliveries_task",
        "schedule": 60.0,
    },
    "sweep-whatsapp-events": {  # WhatsApp webhook events stored while Redis or the workers were down
        "task": "inboxes.providers.whatsapp.tasks.sweep_whatsapp_events_task",
        "schedule": 30.0,
    },
    "sweep-whatsapp-outgoing": {  # WhatsApp replies whose send task was never queued (broker down) or was lost
        "task": "inboxes.providers.whatsapp.tasks.sweep_whatsapp_outgoing_task",
        "schedule": 60.0,
    },
    "sweep-assistant-runs": {  # Alú's wake-ups that were lost and runs whose worker died: retry or hand off
        "task": "automations.assistant.tasks.sweep_assistant_runs_task",
        "schedule": 60.0,
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE
