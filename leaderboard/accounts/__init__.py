"""Sign-up, log-in and API tokens."""
