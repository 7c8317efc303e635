"""Wenze development tools: nothing here runs in a service image."""
