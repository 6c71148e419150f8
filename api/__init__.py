"""The HTTP API for the regional portal."""
