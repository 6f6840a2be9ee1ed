"""The knowledge base (知识库), split by stage.

:mod:`articles` the lifecycle (draft, review, publish, expire) and who may do what;
:mod:`index` the pure in-memory BM25 index; :mod:`search` the index kept current per process
and the synonym list; :mod:`usage` direct answers and the gap report; :mod:`transfer` import
and export of the whole base. Nothing here commits: the caller owns the unit of work.
"""
