"""Keeps an oversized upload from filling memory or disk while the request is parsed."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler


class TruncatingUploadHandler(FileUploadHandler):
    """Passes on at most MAX_UPLOAD_BYTES + 1 bytes of each file to the handlers after it.

    The one extra byte lets the form tell a file that was too large from one that fits, and
    report it inline; the rest of the file is read from the connection and dropped.
    """

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = settings.MAX_UPLOAD_BYTES + 1 - start
        if room <= 0:
            return None
        return raw_data[:room]

    def file_complete(self, file_size: int) -> None:
        # The handlers after this one build the file object.
        return None
