"""Uploaded photos leak nothing: random names, no EXIF (GPS included), a size cap and a
decompression-bomb guard on upload, and files of unpublished stories hidden from readers."""

import io
import re
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from articles.models import Article
from tests.factories import make_article, make_section, make_staff
from tests.test_editorial import ADD, form_data

pytestmark = pytest.mark.django_db

GPS_IFD, MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112
RANDOM_NAME = re.compile(r"lead-photos/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp)")
BAD_IMAGE = "Upload a valid image"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def camera_jpeg(size=(600, 400), orientation: int | None = None) -> bytes:
    """A photo as a phone makes it: EXIF with the maker and the GPS position, and XMP."""
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (33.0, 42.0, 51.0), 3: "E", 4: (73.0, 3.0, 7.0)})
    image = Image.new("RGB", size, "navy")
    image.paste("orange", (0, 0, size[0] // 2, size[1] // 2))  # a corner to tell rotations
    buffer = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>33,42N</exif:GPSLatitude>'
    image.save(buffer, format="JPEG", exif=exif, xmp=xmp + b"</x:xmpmeta>")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def upload(client, name: str, data: bytes, content_type="image/jpeg", **fields):
    photo = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(ADD, form_data(make_section(), lead_photo=photo, **fields))


def test_an_uploaded_photo_gets_a_random_name_and_loses_its_metadata(client, editor, media):
    original = camera_jpeg()
    assert b"SpyCam" in original and b"GPSLatitude" in original  # the test's own premise

    response = upload(client, "rehman-malik-at-home-in-lahore.jpg", original)

    assert response.status_code == 302
    story = Article.objects.get()
    assert RANDOM_NAME.fullmatch(story.lead_photo.name), story.lead_photo.name
    stored = (media / story.lead_photo.name).read_bytes()
    assert b"SpyCam" not in stored and b"GPSLatitude" not in stored and b"Exif" not in stored
    kept = Image.open(io.BytesIO(stored))
    assert not kept.getexif()
    assert "xmp" not in kept.info and "exif" not in kept.info
    assert kept.size == (600, 400) == (story.lead_photo_width, story.lead_photo_height)
    assert not list(media.rglob("*malik*"))


def test_two_uploads_of_one_file_name_get_different_names(client, editor, media):
    upload(client, "photo.jpg", camera_jpeg(), slug="first")
    upload(client, "photo.jpg", camera_jpeg(), slug="second")

    first, second = (story.lead_photo.name for story in Article.objects.all())
    assert first != second
    assert RANDOM_NAME.fullmatch(first) and RANDOM_NAME.fullmatch(second)


def test_a_photo_is_turned_upright_before_its_exif_is_dropped(client, editor, media):
    # Orientation 6: the camera was turned; viewers rotate the picture 90° clockwise.
    upload(client, "turned.jpg", camera_jpeg(size=(60, 40), orientation=6))

    story = Article.objects.get()
    kept = Image.open(media / story.lead_photo.name)
    assert kept.size == (40, 60)
    assert not kept.getexif()


def test_a_large_photo_is_shrunk_to_4000_pixels_on_its_long_side(client, editor, media):
    buffer = io.BytesIO()
    Image.new("RGB", (6000, 1500), "navy").save(buffer, format="PNG")

    response = upload(client, "panorama.png", buffer.getvalue(), "image/png")

    assert response.status_code == 302
    story = Article.objects.get()
    assert Image.open(media / story.lead_photo.name).size == (4000, 1000)
    assert (story.lead_photo_width, story.lead_photo_height) == (4000, 1000)


def test_transparency_is_kept_in_a_png(client, editor, media):
    buffer = io.BytesIO()
    Image.new("RGBA", (30, 20), (255, 0, 0, 0)).save(buffer, format="PNG")

    upload(client, "logo.png", buffer.getvalue(), "image/png")

    kept = Image.open(media / Article.objects.get().lead_photo.name)
    assert kept.mode == "RGBA" and kept.getpixel((0, 0))[3] == 0


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        # Above our limit, below Pillow's own warning: refused with its size.
        (8000, 8000, "too many pixels (8,000 × 8,000): the limit is 50 megapixels"),
        # Far above Pillow's limit: Pillow refuses to open it at all.
        (100_000, 100_000, "too many pixels: the limit is 50 megapixels"),
        (2**31 - 1, 2**31 - 1, "too many pixels"),
    ],
)
def test_a_decompression_bomb_is_refused_with_a_clear_message(
    client, editor, media, width, height, message
):
    bomb = png_claiming(width, height)
    assert len(bomb) < 100

    response = upload(client, "harmless.png", bomb, "image/png")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Article.objects.exists()
    assert not list(media.rglob("*.*"))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.png", b"", "The submitted file is empty."),
        ("truncated.jpg", camera_jpeg()[:300], BAD_IMAGE),
        ("script.png", b"<script>alert(1)</script>", BAD_IMAGE),
        ("header-only.png", png_claiming(40, 30)[:33], BAD_IMAGE),
    ],
)
def test_a_broken_or_fake_image_is_refused_clearly(client, editor, media, name, data, message):
    response = upload(client, name, data, "image/png")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Article.objects.exists()
    assert not list(media.rglob("*.*"))


def test_an_image_of_another_kind_is_refused(client, editor, media):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")

    response = upload(client, "bitmap.png", buffer.getvalue(), "image/png")

    assert "upload a JPEG, PNG, GIF or WebP" in response.content.decode()
    assert not Article.objects.exists()


# Serving: a file belongs to its story, and is public only when the story is.


def story_with_photo(**fields) -> Article:
    story = make_article(**fields)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "navy").save(buffer, format="PNG")
    story.lead_photo.save("photo.png", ContentFile(buffer.getvalue()))
    return story


def test_a_drafts_photo_is_not_found_by_readers_and_shown_to_staff(client, media):
    draft = story_with_photo(status=Article.Status.DRAFT)
    address = draft.lead_photo.url

    assert client.get(address).status_code == 404

    for username, group in (("eda", "Editors"), ("mod", "Moderators")):
        client.force_login(make_staff(username, group))
        preview = client.get(draft.get_absolute_url()).content.decode()
        assert f'<img src="{address}"' in preview
        served = client.get(address)
        assert served.status_code == 200
        assert b"".join(served.streaming_content).startswith(b"\x89PNG")
        assert "private" in served["Cache-Control"] and "no-store" in served["Cache-Control"]
        assert "public" not in served["Cache-Control"]
        client.logout()


def test_a_scheduled_storys_photo_is_hidden_until_its_time(client, media):
    scheduled = story_with_photo(published_at=timezone.now() + timedelta(hours=2))

    assert client.get(scheduled.lead_photo.url).status_code == 404

    Article.objects.filter(pk=scheduled.pk).update(published_at=timezone.now())
    served = client.get(scheduled.lead_photo.url)
    assert served.status_code == 200
    assert "public" in served["Cache-Control"] and "max-age=604800" in served["Cache-Control"]
    assert served["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_a_file_no_story_owns_is_not_served(client, editor, media):
    replaced = story_with_photo()
    old_name = replaced.lead_photo.name
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    replaced.lead_photo.save("new.png", ContentFile(buffer.getvalue()))
    stray = default_storage.save("notes/salaries.txt", ContentFile(b"confidential"))

    assert (media / old_name).exists()
    assert client.get(f"/media/{old_name}").status_code == 404
    assert client.get(f"/media/{stray}").status_code == 404
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get(replaced.lead_photo.url).status_code == 200


def test_a_phones_multi_picture_jpeg_is_kept_as_a_plain_jpeg_without_exif(client, editor, media):
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    buffer = io.BytesIO()
    photo, preview = Image.new("RGB", (64, 48), "navy"), Image.new("RGB", (16, 12), "navy")
    photo.save(buffer, format="MPO", save_all=True, append_images=[preview], exif=exif.tobytes())
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    assert b"SpyCam" in buffer.getvalue()

    response = upload(client, "IMG_0001.JPG", buffer.getvalue())

    assert response.status_code == 302
    stored = media / Article.objects.get().lead_photo.name
    kept = Image.open(stored)
    assert (kept.format, kept.size) == ("JPEG", (64, 48))
    assert not kept.getexif() and b"SpyCam" not in stored.read_bytes()


def test_the_photos_absolute_address_names_the_configured_site(client, media, settings):
    settings.SITE_URL = "https://news.example"
    story = story_with_photo()

    html = client.get(story.get_absolute_url(), HTTP_HOST="localhost:1").content.decode()

    expected = f"https://news.example{story.lead_photo.url}"
    assert f'<meta property="og:image" content="{expected}">' in html
    assert "localhost:1" not in html
