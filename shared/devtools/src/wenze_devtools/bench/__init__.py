"""``make bench``: intake measured side by side with what the same machine does without it.

- a: single submissions (``POST /v1/matters``) against a bare FastAPI endpoint that inserts
  the same matter row with SQLAlchemy, both served by one uvicorn process;
- b: a bulk import job against PostgreSQL ``COPY`` of the same rows;
- c: the rules engine's own figures, when it ships them.
"""
