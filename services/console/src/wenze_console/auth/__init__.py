"""Signing in with the tenant's realm (authorization code + PKCE) and the browser's session."""
