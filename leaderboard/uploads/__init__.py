"""Uploading a sample file: the form and its pages, the size-capping upload handler, the
per-user rate limit, and the services the form and the API share."""
