"""Who may send a file: someone signed in (staff, or a provider editing their own listing), one photo at a time."""

from __future__ import annotations

from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler


class SignedInOnlyUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a file part from someone not signed in ends the request as it begins, before
    the handlers after this one store a byte of it (TooManyFilesSent: the 400 that says the site takes no files)."""

    def new_file(self, *args, **kwargs) -> None:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            raise TooManyFilesSent("A file was sent by someone not signed in.")
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # on to the handler that keeps it

    def file_complete(self, file_size: int) -> None:
        return None
