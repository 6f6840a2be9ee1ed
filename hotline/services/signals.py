"""Signals a service sends after its transaction commits, for effects outside the database.

The deadline scheduler (``workflows``) listens here, so a case action never imports the
job queue and never fails because Redis is down.
"""

from blinker import Namespace

_signals = Namespace()

#: sent with the case id as sender and ``action=`` after any committed change to a case
case_changed = _signals.signal("case-changed")

#: sent with the message id as sender after a transaction that stored an inbound message for
#: the workers (the SMS queue) commits; ``workflows.mail`` queues the drain job
inbound_stored = _signals.signal("inbound-stored")
