"""Route modules; each exposes `register(router)`."""
