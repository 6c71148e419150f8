"""The composition root: settings, logging, the processes and the `iom` command line."""
