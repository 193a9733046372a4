"""The public, read-only pages: one module per page, exports in their own."""
