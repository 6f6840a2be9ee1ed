"""Presentation: service results turned into labelled tables, charts and API shapes.

This floor sits above the services and below the blueprints and jobs: it may import services,
models and ``hotline.i18n``; only blueprints, jobs and entry points import it.
"""
