"""Keycloak realm definitions for the tenants and the platform operators."""
