"""The `wenze` command line."""
