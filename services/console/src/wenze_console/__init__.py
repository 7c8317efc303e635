"""The staff console: server-rendered pages over the services' public APIs (docs/console.md)."""
