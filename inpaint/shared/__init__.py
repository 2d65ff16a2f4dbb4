"""State shared by the processes that spend one API key: job slots, quotas, budgets.

``open_state(url)`` picks the store (memory, an SQLite file, Redis);
``state.slots(key_id(api_key), size)`` are job slots leased across processes;
``state.ledger`` reserves jobs against quotas before anything is sent.
"""

from ..slots import Hold, SlotPool
from .ledger import Ledger, Reservation
from .quota import Claim, Quota, QuotaExceeded, QuotaSyntaxError, Window, parse_quota
from .slots import SharedSlots, key_id
from .state import SharedState, open_state, redact
from .store import SharedStateError

__all__ = [
    "Claim",
    "Hold",
    "Ledger",
    "Quota",
    "QuotaExceeded",
    "QuotaSyntaxError",
    "Reservation",
    "SharedSlots",
    "SharedState",
    "SharedStateError",
    "SlotPool",
    "Window",
    "key_id",
    "open_state",
    "parse_quota",
    "redact",
]
