"""``make chaos``: the platform's exactly-once promises checked while its workers are killed with ``kill -9``.

Each scenario runs on a private stack (NATS, the test issuer, a fresh PostgreSQL database and
the service processes), prints a table of checks and writes a JSON report under
``var/reports/``:

- ``intake-relay`` (:mod:`.intake_relay`): matters bulk-imported while intake's outbox relay is
  killed; every stored matter's ``matter.received`` must be on the stream once.
"""
