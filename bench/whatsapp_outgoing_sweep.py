"""The outgoing sweeper's scans (sweep_whatsapp_outgoing_task) on a large message table: EXPLAIN ANALYZE.

    createdb -h 127.0.0.1 -U postgres autonomia_bench_wa_sweep
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/autonomia_bench_wa_sweep .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/autonomia_bench_wa_sweep .venv/bin/python -m bench.whatsapp_outgoing_sweep

Seeds (once) two accounts with a WhatsApp inbox and 150,000 messages each, one a minute, every thousandth
without a provider id, then prints the plans and timings of both sweeper queries.
"""

import datetime as dt
import time

from bench.common import setup_django

MESSAGES_PER_ACCOUNT = 150_000


def seed() -> None:
    from autonomia.models import Account
    from contacts.models import Contact
    from conversations import actions as conversation_actions
    from conversations.models import Message
    from django.db import connection
    from django.utils import timezone
    from inboxes.providers.whatsapp import actions

    for n in range(2):
        account = Account.objects.create(name=f"Sweep {n}")
        inbox = actions.create_whatsapp_inbox(account, actor=None, name="WhatsApp", provider="whatsapp_cloud",
                                              phone_number=f"+1555000111{n}", config={
                                                  "phone_number_id": f"sweep-{n}", "business_account_id": "w",
                                                  "api_key": "k", "app_secret": "s"})
        contact = Contact.objects.create(account=account, name="Cliente")
        conversation = conversation_actions.create_conversation(inbox, contact=contact)
        now = timezone.now()
        Message.objects.bulk_create([
            Message(account=account, inbox=inbox, conversation=conversation, message_type=i % 2, content="x",
                    source_id=None if i % 1000 == 1 else f"s{n}-{i}", created_at=now - dt.timedelta(minutes=i))
            for i in range(MESSAGES_PER_ACCOUNT)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    setup_django()
    from conversations.models import Message
    from django.utils import timezone
    from inboxes.providers.whatsapp import queries

    if not Message.objects.exists():
        seed()
    now = timezone.now()
    recent = queries._unsent_outgoing(now - queries.UNSENT_HORIZON, now - queries.UNSENT_AFTER)
    expired = queries._unsent_outgoing(now - 2 * queries.UNSENT_HORIZON, now - queries.UNSENT_HORIZON)
    for label, qs in (("unsent", recent), ("expired", expired)):
        print(f"== {label}\n{qs.order_by('id').values_list('pk', flat=True)[:200].explain(analyze=True)}")
    for function in (queries.unsent_message_ids, queries.expired_unsent_message_ids):
        started = time.perf_counter()
        found = len(function(now))
        print(f"{function.__name__}: {found} ids in {(time.perf_counter() - started) * 1000:.1f} ms")
    print(f"messages: {Message.objects.count()}")


if __name__ == "__main__":
    main()
