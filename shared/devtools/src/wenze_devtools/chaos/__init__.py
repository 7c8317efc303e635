"""``make chaos``: the platform's exactly-once promises checked while its workers are killed with ``kill -9``.

Three scenarios, each on a private stack (NATS, the test issuer, a fresh PostgreSQL database and
the service processes), each printing a table of checks and writing a JSON report under
``var/reports/``:

- ``intake-relay`` (:mod:`.intake_relay`): matters bulk-imported while intake's outbox relay is
  killed; every stored matter's ``matter.received`` must be on the stream once.
- ``routing-review`` (:mod:`.routing_review`): acceptances published to stream ``INTAKE`` at
  a steady rate, as intake's relay publishes them, while routing's and review's workers are
  killed; every published acceptance must be routed once and every consultation opened
  once with one signing task per participant office.
- ``execution-deadlines`` (:mod:`.execution_deadlines`): decisions whose deadlines are due or
  passed, while the sanction-execution worker and its deadline scheduler are killed; every
  deadline must fire exactly once (outbox and stream).
"""
