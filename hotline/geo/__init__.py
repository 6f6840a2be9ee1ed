"""Places with coordinates (a pure library: no Flask, no database).

:mod:`~hotline.geo.address` splits a Chinese address into its parts, :mod:`~hotline.geo.features`
reads and checks place files (GeoJSON, CSV), and :mod:`~hotline.geo.atlas` answers where an
address or a coordinate is: a point, its district and street, and how exact it is.
"""
