"""Background work on RQ: deadline warnings and escalation, follow-up, retraining.

Jobs take ids, run inside an app context given by the worker, and call the service layer;
the database is the source of truth, Redis only holds what is due next.
"""
