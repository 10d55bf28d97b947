"""WhatsApp events: recipients are computed here, from the database, when the event is sent."""

from autonomia import realtime
from autonomia.queries import administrator_ids
from inboxes.providers.whatsapp.models import WhatsappChannel


def connection_changed(channel: WhatsappChannel) -> None:
    """Tell the account's administrators (only they open the settings page) that an Evolution instance's
    connection state or QR code changed; the page re-GETs its connection panel."""
    account_id = channel.inbox.account_id
    realtime.broadcast_on_commit(
        (realtime.user_group(uid) for uid in administrator_ids(account_id)),
        {"type": "whatsapp.connection_changed", "account_id": account_id, "inbox_id": channel.inbox_id},
    )
