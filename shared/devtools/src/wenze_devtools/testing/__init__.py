"""Test support shared by all services: a Keycloak-compatible issuer and pytest fixtures."""
