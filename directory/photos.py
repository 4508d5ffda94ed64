"""Provider photos: what an upload must be, and the small clean copy of it that the site keeps.

process_photo() is the one way in, for staff in the admin (through PhotoField's form field) and for providers
editing their own listing: it refuses anything but a real JPEG, PNG or WebP image within the size limits, and
returns a new JPEG, at most PHOTO_SIZE, with none of the original's metadata (EXIF, GPS position, colour
profile, comments) and a random name.
"""

from __future__ import annotations

import uuid
import warnings
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models.signals import post_delete
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

PHOTO_SIZE = (480, 480)  # the stored photo fits within this box, in pixels
PHOTO_DIRECTORY = "photos"
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"
JPEG_QUALITY = 85

NOT_AN_IMAGE = "This file is not a photo we can use. Upload a JPEG, PNG or WebP image."
UNREADABLE = "This photo could not be read; the file may be damaged. Save it again, or upload another one."

_SRGB = ImageCms.createProfile("sRGB")
_HIGH_BIT_DEPTH = ("I", "I;16", "I;16B", "I;16L", "I;16N")


def process_photo(uploaded: IO[bytes]) -> ContentFile:
    """A clean copy of an uploaded photo: assign it to provider.photo and save (a replaced file is removed).

    Raises ValidationError, with a message to show as it is, when the upload is not an acceptable image."""
    data = _read_within_limit(uploaded)
    with warnings.catch_warnings():
        # Pillow only warns about an image a little over Image.MAX_IMAGE_PIXELS; here that is a refusal too.
        # (PHOTO_MAX_PIXELS, checked below, is the lower limit by default: this is the second line.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open_checked(data)
            clean = _cleaned(image)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except UnidentifiedImageError:
            raise ValidationError(NOT_AN_IMAGE, code="photo_format") from None
        except Exception:
            # Whatever else a damaged or hostile file makes the decoder raise, it is refused, never a 500.
            raise ValidationError(UNREADABLE, code="photo_unreadable") from None
    output = BytesIO()
    clean.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def _read_within_limit(uploaded: IO[bytes]) -> bytes:
    limit = settings.PHOTO_MAX_UPLOAD_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _too_large(size)
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise _too_large(len(data))
    return data


def _open_checked(data: bytes) -> Image.Image:
    """The image, opened again after Pillow has verified the file (verify() leaves it unusable)."""
    image = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    width, height = image.size
    # Checked from the header, before a single pixel is decoded: a small file can declare a huge image.
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    image.verify()
    image = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    # A JPEG is decoded at a fraction of its size when that still covers PHOTO_SIZE: faster, and less memory.
    image.draft("RGB", PHOTO_SIZE)
    return image


def _cleaned(image: Image.Image) -> Image.Image:
    """Upright, in sRGB, fitted within PHOTO_SIZE, transparency on white: a new image carrying no metadata."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:
        # Malformed EXIF (common enough from some cameras) loses only the rotation; the pixels are still read.
        image.load()
    if image.mode in _HIGH_BIT_DEPTH:
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    mode = "RGBA" if transparent else "RGB"
    image = _in_srgb(image, mode) or image.convert(mode)
    image.thumbnail(PHOTO_SIZE, Image.Resampling.LANCZOS)
    # A new image starts with empty info: the original's EXIF, XMP, colour profile and comments stay behind.
    clean = Image.new("RGB", image.size, "white")
    clean.paste(image, mask=image.getchannel("A") if transparent else None)
    return clean


def _in_srgb(image: Image.Image, mode: str) -> Image.Image | None:
    """The image converted to sRGB from its embedded colour profile, so it looks the same without it; None
    when it has no profile, or one that cannot be used (it is then taken as sRGB already)."""
    profile = image.info.get("icc_profile")
    if not profile:
        return None
    try:
        return ImageCms.profileToProfile(image, BytesIO(profile), _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _too_large(size: int) -> ValidationError:
    return ValidationError(
        "This photo is too large (%(size)s). The largest accepted is %(limit)s.",
        code="photo_too_large",
        params={"size": _megabytes(size), "limit": _megabytes(settings.PHOTO_MAX_UPLOAD_BYTES)},
    )


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    dimensions = f" ({width:,} × {height:,} pixels)" if width and height else ""
    return ValidationError(
        "This image is too big%(dimensions)s. Resize it to at most %(limit)s megapixels and upload it again.",
        code="photo_too_many_pixels",
        params={"dimensions": dimensions, "limit": f"{settings.PHOTO_MAX_PIXELS / 1_000_000:g}"},
    )


def upload_limit_text() -> str:
    """"5 MB": the largest upload accepted, in words."""
    return _megabytes(settings.PHOTO_MAX_UPLOAD_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.3g} MB"


# --- Storage ----------------------------------------------------------------------------


def photo_upload_to(instance: Any, filename: str) -> str:
    """photos/<random>.jpg: never the provider's name, nor the name the file had on someone's computer."""
    suffix = PurePosixPath(filename).suffix.lower() or ".jpg"
    return f"{PHOTO_DIRECTORY}/{uuid.uuid4().hex}{suffix}"


def remove_after_commit(storage: Storage, name: str) -> None:
    """Delete a stored photo once the change that dropped it is committed (a rollback keeps it in use)."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


class PhotoFormField(forms.ImageField):
    """An upload that becomes process_photo()'s clean copy: any ModelForm with a PhotoField checks and cleans."""

    def to_python(self, data: Any) -> ContentFile | None:
        uploaded = forms.FileField.to_python(self, data)  # the name and emptiness checks; the image is ours
        if uploaded is None:
            return None
        return process_photo(uploaded)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, str]:
        attrs = super().widget_attrs(widget)
        if "accept" in attrs:  # the file picker offers the formats that are accepted, not every image
            attrs["accept"] = ACCEPT_ATTRIBUTE
        return attrs


class PhotoField(models.ImageField):
    """An ImageField whose uploads go through process_photo() and are stored under a random name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("upload_to", photo_upload_to)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> forms.Field:
        return super().formfield(**{"form_class": PhotoFormField, **kwargs})


def _provider_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    remove_after_commit(instance.photo.storage, instance.photo.name)


def connect_signals() -> None:
    post_delete.connect(_provider_deleted, sender="directory.Provider", dispatch_uid="provider-photo-deleted")
