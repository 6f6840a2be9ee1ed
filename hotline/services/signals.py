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

#: sent with the inbound message id as sender after a transaction that made a case of a
#: WeChat image or voice commits; ``workflows.media`` fetches the medium by its MediaId
media_waiting = _signals.signal("media-waiting")
