"""Hand outgoing messages to their channel's sender after commit (WhatsApp today; more channels register later).

A channel app registers `deliver(message_id)` for its Inbox.ChannelType in its AppConfig.ready(); the actions
call `deliver_outgoing_message(message)` for every public outgoing message they store. Messages that already
carry a provider `source_id` (sent from the phone, echoed back by the provider) are not sent again.
"""

import logging
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)
_senders: dict[str, Callable[[int], None]] = {}


def register(channel_type: str, deliver: Callable[[int], None]) -> None:
    """Make `deliver(message_id)` the sender of the channel type's outgoing messages."""
    _senders[str(channel_type)] = deliver


def deliver_outgoing_message(message) -> None:
    """Queue the message for its channel once the transaction commits (no-op for notes and other channels)."""
    deliver = _senders.get(str(message.conversation.inbox.channel_type))
    if deliver is None or message.private or not message.is_outgoing or message.source_id:
        return
    message_id = message.pk

    def send() -> None:
        try:
            deliver(message_id)
        except Exception:  # the broker may be down: the channel's sweeper retries unsent messages
            log.exception("could not queue outgoing message %s", message_id)

    transaction.on_commit(send, robust=True)
