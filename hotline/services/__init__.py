"""Business rules: every state change of a case, and every rule about who may make it, lives here.

Services take plain values and an :class:`~hotline.services.actors.Actor`, never a request;
views, API endpoints, RQ jobs and CLI commands all call the same functions.
"""
