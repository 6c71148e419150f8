"""What the engine's processes share and run with: the settings (`runtime.settings`), the
Temporal client (`runtime.temporal`) and the way into the route workflows (`runtime.gateway`).
Below both the API and the processes of `workers`, so each imports them without importing the
other."""
