"""NATS JetStream messaging: stream registry, transactional outbox + relay, idempotent inbox."""
