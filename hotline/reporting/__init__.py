"""Pure presentation and analysis helpers for the oversight dashboard.

Modules: ``charts`` (server-side SVG), ``export`` (CSV/XLSX), ``hotspots`` (volume spikes and
clusters of similar requests) and ``terms`` (top terms). Nothing is imported eagerly here, so
importing one module does not pull in scikit-learn for the others.
"""
