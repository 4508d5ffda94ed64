"""Provider photos: only real images are kept, as small clean copies with no location or camera details."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from directory.photos import process_photo

GPS_IFD, ORIENTATION, MAKE, MODEL = 0x8825, 0x0112, 0x010F, 0x0110
RED, BLUE = (255, 0, 0), (0, 0, 255)


# --- Test images, made here ------------------------------------------------------------------------


def camera_jpeg(size: tuple[int, int] = (1200, 800), orientation: int | None = None) -> bytes:
    """A JPEG as a phone writes one: red left half, blue right half; the camera, where it was taken (GPS), a
    colour profile and a comment."""
    image = Image.new("RGB", size, RED)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), BLUE), (size[0] // 2, 0))
    exif = Image.Exif()
    exif[MAKE] = "Acme"
    exif[MODEL] = "Pocket Camera 7"
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif, icc_profile=icc, comment=b"At home, 12 Elm Street")
    return output.getvalue()


def encoded(image: Image.Image, format: str, **options) -> bytes:
    output = io.BytesIO()
    image.save(output, format, **options)
    return output.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb's first step)."""
    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)  # IHDR's width and height, then its checksum
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(content) -> Image.Image:
    content.seek(0)
    return Image.open(io.BytesIO(content.read()))


def refusal(data: bytes, name: str = "photo.jpg") -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        process_photo(upload(data, name))
    return refused.value


# --- What is kept of an upload ----------------------------------------------------------------------


def test_a_phone_photo_is_kept_without_its_location_camera_or_comment_and_resized():
    original = camera_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD), "the test photo does carry a location"

    kept = process_photo(upload(original))

    image = opened(kept)
    assert image.format == "JPEG"
    assert image.size == (480, 320), "fitted within 480 × 480, in proportion"
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    kept.seek(0)
    raw = kept.read()
    for trace in (b"Exif", b"Acme", b"Pocket Camera", b"Elm Street"):
        assert trace not in raw


def test_a_photo_taken_sideways_is_turned_upright_as_the_camera_recorded():
    # Orientation 6: the camera was turned a quarter clockwise; the picture's left edge is the top of the scene.
    image = opened(process_photo(upload(camera_jpeg((300, 200), orientation=6))))
    assert image.size == (200, 300)
    assert close_to(image.getpixel((100, 10)), RED) and close_to(image.getpixel((100, 290)), BLUE)


def test_a_transparent_png_gets_a_white_background_not_a_black_one():
    logo = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    logo.paste((0, 0, 255, 255), (50, 50, 150, 150))
    image = opened(process_photo(upload(encoded(logo, "PNG"), "logo.png", "image/png")))
    assert image.format == "JPEG"
    assert close_to(image.getpixel((5, 5)), (255, 255, 255))
    assert close_to(image.getpixel((100, 100)), BLUE)


def test_a_webp_photo_is_accepted_and_kept_as_a_jpeg():
    image = opened(process_photo(upload(encoded(Image.new("RGB", (960, 640), RED), "WEBP"), "me.webp", "image/webp")))
    assert (image.format, image.size) == ("JPEG", (480, 320))


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


# --- What is refused -----------------------------------------------------------------------------------


NOT_A_PHOTO = "This file is not a photo we can use. Upload a JPEG, PNG or WebP image."
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"Just some text, saved with a photo's name.", "photo.jpg"),
        (SVG, "drawing.svg"),
        (SVG, "drawing.png"),
        (encoded(Image.new("RGB", (50, 50), RED), "GIF"), "animation.gif"),
        (b"", "empty.jpg"),
    ],
    ids=["text-named-jpg", "svg", "svg-named-png", "gif", "empty"],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_image_is_refused_with_a_plain_message(data, name):
    assert refusal(data, name).messages == [NOT_A_PHOTO]


def test_a_damaged_photo_is_refused_with_a_plain_message():
    cut_short = camera_jpeg()[:3000]
    assert refusal(cut_short).messages == [
        "This photo could not be read; the file may be damaged. Save it again, or upload another one."
    ]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 20_000
    big = encoded(Image.effect_noise((400, 400), 80).convert("RGB"), "JPEG", quality=95)
    assert len(big) > 20_000
    [message] = refusal(big).messages
    assert re.fullmatch(r"This photo is too large \(0\.\d+ MB\)\. The largest accepted is 0\.02 MB\.", message)
    # Also when the file does not say how large it is: no more than the limit is read.
    with pytest.raises(ValidationError, match="too large"):
        process_photo(io.BytesIO(big))


@pytest.mark.parametrize(
    ("width", "height"),
    [(7_000, 7_000), (10_000, 10_000), (100_000, 100_000)],
    ids=["over-the-site-limit", "over-pillows-warning", "over-pillows-error"],
)
def test_a_small_file_declaring_a_huge_image_is_refused_before_it_is_decoded(width, height):
    bomb = png_declaring(width, height)
    assert len(bomb) < 100
    error = refusal(bomb, "bomb.png")
    assert error.code == "photo_too_many_pixels"
    assert "Resize it to at most 40 megapixels and upload it again." in error.messages[0]


def test_the_pixel_limit_comes_from_the_settings(settings):
    settings.PHOTO_MAX_PIXELS = 100 * 100
    assert refusal(encoded(Image.new("RGB", (101, 100), RED), "PNG")).messages == [
        "This image is too big (101 × 100 pixels). Resize it to at most 0.01 megapixels and upload it again."
    ]
    assert opened(process_photo(upload(encoded(Image.new("RGB", (100, 100), RED), "PNG")))).size == (100, 100)
