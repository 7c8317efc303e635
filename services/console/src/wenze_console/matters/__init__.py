"""One matter across the services, and the form for the step the caller's office may take now."""
