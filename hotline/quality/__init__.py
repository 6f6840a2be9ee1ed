"""Quality inspection (智能质检) of replies and records: a pure library, no Flask, no database.

:mod:`relevance` scores how well a reply answers its request; :mod:`checks` turns a reply
into findings; :mod:`records` checks what an agent recorded. The services module
``hotline.services.quality`` gathers the values from the database and calls these.
"""
