"""The API's routers: commands, queries, health."""
