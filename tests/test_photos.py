"""Provider photos: only real images are kept, as small clean copies with no location or camera details, under
names nobody can guess; staff upload them in the admin; cards and profiles show them with a description."""

from __future__ import annotations

import io
import re
import runpy
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms

from directory.models import Provider
from directory.photos import process_photo
from tests.test_admin import provider_form

ROOT = Path(__file__).resolve().parent.parent
GPS_IFD, ORIENTATION, MAKE, MODEL = 0x8825, 0x0112, 0x010F, 0x0110
RED, BLUE = (255, 0, 0), (0, 0, 255)


# --- Test images, made here ------------------------------------------------------------------------


def camera_jpeg(
    size: tuple[int, int] = (1200, 800), orientation: int | None = None, colour_profile: bool = True
) -> bytes:
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
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() if colour_profile else None
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


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Uploads go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root: Path) -> list[str]:
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


# --- What is kept of an upload ----------------------------------------------------------------------


@pytest.mark.parametrize("colour_profile", [True, False], ids=["with-colour-profile", "without"])
def test_a_phone_photo_is_kept_without_its_location_camera_or_comment_and_resized(colour_profile):
    original = camera_jpeg(colour_profile=colour_profile)
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


def test_a_photo_is_stored_under_a_random_name_not_the_providers(media_root, make_provider):
    provider = make_provider("Ana Díaz")
    provider.photo = process_photo(upload(camera_jpeg(), name="ana-diaz-at-home.jpg"))
    provider.save()
    other = make_provider("Ben Roe")
    other.photo = process_photo(upload(camera_jpeg(), name="ana-diaz-at-home.jpg"))
    other.save()

    assert re.fullmatch(r"photos/[0-9a-f]{32}\.jpg", provider.photo.name)
    assert provider.photo.name != other.photo.name
    assert stored_files(media_root) == sorted([provider.photo.name, other.photo.name])


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


# --- Replacing and removing -----------------------------------------------------------------------


def test_replacing_clearing_or_deleting_a_photo_removes_the_old_file(
    media_root, make_provider, django_capture_on_commit_callbacks
):
    provider = make_provider("Ana Díaz")
    provider.photo = process_photo(upload(camera_jpeg()))
    provider.save()
    first = provider.photo.name
    assert stored_files(media_root) == [first]

    with django_capture_on_commit_callbacks(execute=True):
        provider = Provider.objects.get(pk=provider.pk)
        provider.photo = process_photo(upload(camera_jpeg((600, 600))))
        provider.save()
    second = provider.photo.name
    assert stored_files(media_root) == [second]

    with django_capture_on_commit_callbacks(execute=True):
        provider.name = "Ana Díaz Ruiz"
        provider.save()  # other changes keep the photo
    assert stored_files(media_root) == [second]

    with django_capture_on_commit_callbacks(execute=True):
        provider.photo = None
        provider.save()
    assert stored_files(media_root) == []

    provider.photo = process_photo(upload(camera_jpeg()))
    provider.save()
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        Provider.objects.filter(pk=provider.pk).delete()
    assert stored_files(media_root) == []


# --- Staff upload in the admin -----------------------------------------------------------------------


def change_page(admin_client, provider: Provider, **fields):
    data = provider_form(name=provider.name, slug=provider.slug, external_id=provider.external_id, **fields)
    return admin_client.post(f"/admin/directory/provider/{provider.pk}/change/", data)


def test_staff_upload_a_photo_on_the_providers_change_page_and_it_is_kept_clean(
    admin_client, media_root, make_provider, django_capture_on_commit_callbacks
):
    provider = make_provider("Ana Díaz", licenses=[])
    page = admin_client.get(f"/admin/directory/provider/{provider.pk}/change/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page

    response = change_page(admin_client, provider, photo=upload(camera_jpeg(), "ana at home.jpg"),
                           photo_alt="Ana Díaz smiling, in a garden")
    assert response.status_code == 302, response.content.decode()[:3000]
    provider.refresh_from_db()
    assert re.fullmatch(r"photos/[0-9a-f]{32}\.jpg", provider.photo.name)
    assert provider.photo_alt == "Ana Díaz smiling, in a garden"
    stored = Image.open(media_root / provider.photo.name)
    assert stored.size == (480, 320) and not stored.getexif()
    first = provider.photo.name

    with django_capture_on_commit_callbacks(execute=True):
        response = change_page(admin_client, provider, photo=upload(camera_jpeg((500, 500))))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert stored_files(media_root) == [provider.photo.name] != [first]
    page = admin_client.get(f"/admin/directory/provider/{provider.pk}/change/").content.decode()
    assert f'<img src="/media/{provider.photo.name}" alt="Photo of Ana Díaz" width="120">' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = change_page(admin_client, provider, **{"photo-clear": "on"})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.photo.name, stored_files(media_root)) == ("", [])


def test_a_text_file_named_like_a_photo_is_refused_in_the_admin_and_nothing_changes(
    admin_client, media_root, make_provider
):
    provider = make_provider("Ana Díaz", licenses=[], practice_name="Before")
    provider.photo = process_photo(upload(camera_jpeg()))
    provider.save()
    kept = provider.photo.name

    response = change_page(admin_client, provider, practice_name="After",
                           photo=upload(b"not an image at all", "photo.jpg"))

    assert response.status_code == 200
    assert NOT_A_PHOTO in response.content.decode()
    provider.refresh_from_db()
    assert (provider.photo.name, provider.practice_name) == (kept, "Before")
    assert stored_files(media_root) == [kept]


def test_only_someone_signed_in_may_send_a_file_at_all(client, admin_client, make_provider):
    make_provider("Ana Díaz")
    photo = {"reason": "other", "attachment": upload(camera_jpeg())}
    response = client.post("/providers/ana-diaz/report/", photo)
    assert response.status_code == 400
    assert "This site does not accept files." in response.content.decode()
    # Signed in, the file reaches the page, which decides: the report form takes none.
    response = admin_client.post("/providers/ana-diaz/report/", {**photo, "attachment": upload(camera_jpeg())})
    assert response.status_code == 400
    assert "Reports are text only" in response.content.decode()


# --- Where the public sees it ------------------------------------------------------------------------


@pytest.fixture
def pictured(media_root, make_provider) -> Provider:
    provider = make_provider("Ana Díaz", last_verified=None)
    provider.photo = process_photo(upload(camera_jpeg()))
    provider.save()
    return provider


def test_a_card_and_the_profile_show_the_photo_with_its_description(client, pictured, make_provider):
    make_provider("Ben Roe")
    url = f"/media/{pictured.photo.name}"
    card = f'<img class="provider-photo" src="{url}" alt="Photo of Ana Díaz" width="96" height="96"'
    assert card in client.get("/providers/").content.decode()
    profile = f'<img class="profile-photo" src="{url}" alt="Photo of Ana Díaz" width="160" height="160">'
    assert profile in client.get("/providers/ana-diaz/").content.decode()

    pictured.photo_alt = "Ana Díaz smiling, in a garden"
    pictured.save()
    assert 'alt="Ana Díaz smiling, in a garden"' in client.get("/providers/ana-diaz/").content.decode()


def test_without_a_photo_a_card_and_the_profile_have_no_image_at_all(client, make_provider):
    make_provider("Ben Roe")
    for path in ("/providers/", "/providers/ben-roe/"):
        page = client.get(path).content.decode()
        assert "Ben Roe" in page
        assert "<img" not in page, path


def test_the_api_gives_the_photos_address_or_null(client, pictured, make_provider):
    make_provider("Ben Roe")
    results = {r["name"]: r["photo_url"] for r in client.get("/api/providers/").json()["results"]}
    assert results == {"Ana Díaz": f"/media/{pictured.photo.name}", "Ben Roe": None}


# --- Media settings -----------------------------------------------------------------------------------


def settings_with(monkeypatch, **env: str) -> dict:
    """config/settings.py as it reads this environment."""
    for name in ("MEDIA_ROOT", "MEDIA_URL", "MEDIA_BUCKET", "MEDIA_ENDPOINT_URL", "MEDIA_CUSTOM_DOMAIN",
                 "MEDIA_ACCESS_KEY", "MEDIA_SECRET_KEY", "MEDIA_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def photo_url(config: dict) -> str:
    from storages.backends.s3 import S3Storage

    storage = config["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    return S3Storage(**storage["OPTIONS"]).url("photos/0123abcd.jpg")


def image_sources(config: dict) -> list[str]:
    return config["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]


def test_by_default_photos_are_files_under_media_served_from_this_site_alone(monkeypatch):
    config = settings_with(monkeypatch)
    assert config["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert config["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert (config["MEDIA_ROOT"], config["MEDIA_URL"]) == (ROOT / "media", "/media/")
    assert image_sources(config) == ["'self'", "data:"]

    config = settings_with(monkeypatch, MEDIA_ROOT="/srv/directory/media", MEDIA_URL="/uploads/")
    assert (config["MEDIA_ROOT"], config["MEDIA_URL"]) == (Path("/srv/directory/media"), "/uploads/")
    assert image_sources(config) == ["'self'", "data:"]


def test_a_bucket_behind_its_own_domain_serves_the_photos_and_only_that_domain_is_allowed(monkeypatch):
    config = settings_with(monkeypatch, MEDIA_BUCKET="directory-photos", MEDIA_CUSTOM_DOMAIN="media.example.org",
                           MEDIA_ACCESS_KEY="key", MEDIA_SECRET_KEY="secret")
    assert photo_url(config) == "https://media.example.org/photos/0123abcd.jpg"
    assert image_sources(config) == ["'self'", "data:", "https://media.example.org"]
    assert config["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_a_bucket_on_an_s3_compatible_service_serves_the_photos_from_its_endpoint(monkeypatch):
    config = settings_with(monkeypatch, MEDIA_BUCKET="directory-photos",
                           MEDIA_ENDPOINT_URL="https://objects.example.net/")
    assert photo_url(config) == "https://objects.example.net/directory-photos/photos/0123abcd.jpg"
    assert image_sources(config) == ["'self'", "data:", "https://objects.example.net"]


def test_a_bucket_without_a_domain_or_endpoint_stops_the_start_with_a_clear_message(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="set MEDIA_CUSTOM_DOMAIN .* or MEDIA_ENDPOINT_URL"):
        settings_with(monkeypatch, MEDIA_BUCKET="directory-photos")
