"""``make bench``: intake measured side by side with what the same machine does without it.

- a: single submissions (``POST /v1/matters``) against a bare FastAPI endpoint that inserts
  the same matter row with SQLAlchemy, both served by one uvicorn process;
- b: a bulk import job against PostgreSQL ``COPY`` of the same rows;
- c: the rules engine against Kunshan's routing written by hand in Python;
- d: accepted → routed latency against a NATS echo;
- e: clues from one bulk submission to routed, against ``COPY`` of the same rows.
- r: the month-end report over a million matters (``GET /v1/reports/month-end``) against a
  direct ``GROUP BY`` over intake's table in the same run.
- w: the staff console's "my work" and matter pages over 10,000 matters against the API call
  each wraps (review's open tasks, reporting's progress of the matter).
"""
