"""The public, read-only pages: their views and URLs, charts, filter form and export frames."""
