"""One way in: whatever a citizen sends, by any channel, becomes a case or waits for a person.

The stages live in their own modules and are imported by name
(``from hotline.services.intake import receive``):

- ``store``: the raw message, written before anything can fail; claims and bookkeeping.
- ``receive``: one receiver per channel (SMS, WeChat, e-mail) that checks and stores.
- ``letters``: the mayor's-mailbox letter form.
- ``process``: a stored message becomes a case, joins one, or answers a query or a rating.
- ``replies``: the texts a citizen is answered with, sent through the outbox.
- ``review``: the queue of messages a person must look at.

None of them commits. The edge that receives a message sequences the transactions: the raw
message is stored (and acknowledged) in one, then processed in another, and a failure in
processing is written to the review queue in a third.
"""
