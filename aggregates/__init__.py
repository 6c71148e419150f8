"""The write model: the Route aggregate, its events, the regulation profiles and the application."""
