"""hotline: open case management for a city's 12345 citizen-request hotline.

The app factory is :func:`hotline.app.create_app` (``gunicorn 'hotline.app:create_app()'``).
This package module imports nothing of its own, so any module may import from ``hotline``
without closing an import circle.
"""
