"""A serving process's start-up heap, settled out of the garbage collector's way.

Everything a process builds before it serves (the modules, the app, its templates and
routes: about 224,000 objects tracked by the collector) lives as long as the process. Each
full collection walked all of it: 131-161 ms in-process at 1,000,000 cases, paid by one
request of about twenty on the case list (the request's time went from 27 ms to 161 ms;
``bench/scale_bench.py``'s p95 and the maximum of every page). ``gc.freeze`` moves those
objects to a generation the collector never scans; a full collection then walks only what
the requests made since (none ran in 60 such requests after it). In a process that forks
(the RQ worker's parent) it also keeps the children from copying the pages a collection
would have touched.

Call ``settle`` once, after loading, in a process that serves or forks: ``hotline serve``,
``hotline worker`` and gunicorn's ``post_worker_init`` (deploy/gunicorn.conf.py). Not in
tests: what is frozen and later dropped in a reference cycle is never freed.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect what start-up left behind, then freeze the rest; how many objects froze."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
