"""Lead photos as they are kept: decoded and encoded again by Pillow on upload
(`LeadPhotoField`, the admin's form field), so that what is served carries no metadata
(EXIF with the camera's GPS position, XMP, comments) and no more pixels than a page can
use. The file is then kept under a random name (`articles.models.lead_photo_path`): the
uploader's file name can say more than the photo should.

A file of a few kilobytes can claim billions of pixels (a decompression bomb); its size
is read from the header and refused before anything is decoded.
"""

import warnings
from io import BytesIO

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps

from articles.models import validate_photo_size

# A 50-megapixel camera's photo decodes; a bomb does not (decoded RGB: 150 MB at most).
MAX_PIXELS = 50_000_000
# Longest side kept: more than any page shows, even on a wide high-density screen.
MAX_SIDE = 4000
JPEG_QUALITY = 85
# What comes in → what is kept. A GIF keeps its first frame, as a PNG; MPO is the JPEG
# that many phones write (a photo and its previews): the photo is kept.
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
NOT_AN_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)


def clean_photo(upload) -> SimpleUploadedFile:
    """The photo decoded, turned upright, shrunk to MAX_SIDE and encoded again without
    its metadata; a ValidationError an editor can act on for anything else."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit; ours is lower and checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(upload.read()))
    except Image.DecompressionBombError:
        raise too_many_pixels(None) from None
    except Exception as exc:
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from exc
    if image.format not in FORMATS:
        raise ValidationError(
            "This kind of image is not accepted: upload a JPEG, PNG, GIF or WebP.",
            code="invalid_image",
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise too_many_pixels(image.size)
    source_format, icc_profile = image.format, image.info.get("icc_profile")
    try:
        if source_format in ("JPEG", "MPO"):
            # JPEG can decode at a fraction of its size: cheaper for large photos.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
        image = ImageOps.exif_transpose(image)  # upright, before its EXIF is dropped
        kept_format = FORMATS[source_format]
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if transparent and kept_format != "JPEG" else "RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    except Exception as exc:
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from exc
    # Nothing of the original's metadata goes back out: Pillow writes what `info`
    # holds for some formats, so it is emptied; only the colour profile is kept.
    image.info = {}
    output = BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if kept_format == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif kept_format == "WEBP":
        options.update(quality=JPEG_QUALITY)
    else:
        options.update(optimize=True)
    image.save(output, format=kept_format, **options)
    return SimpleUploadedFile(
        f"photo.{EXTENSIONS[kept_format]}",
        output.getvalue(),
        content_type=Image.MIME[kept_format],
    )


def too_many_pixels(size: tuple[int, int] | None) -> ValidationError:
    limit = MAX_PIXELS // 1_000_000
    if size is None:
        return ValidationError(
            "The photo has too many pixels: the limit is %(limit)s megapixels.",
            code="too_many_pixels",
            params={"limit": limit},
        )
    return ValidationError(
        "The photo has too many pixels (%(width)s × %(height)s): the limit is %(limit)s "
        "megapixels. Make it smaller and upload it again.",
        code="too_many_pixels",
        params={"width": f"{size[0]:,}", "height": f"{size[1]:,}", "limit": limit},
    )


class LeadPhotoField(forms.ImageField):
    """The admin's photo upload: checked for size, then re-encoded by `clean_photo`."""

    def to_python(self, data):
        # FileField's checks only: ImageField's own would decode the file a second time.
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        validate_photo_size(upload)  # before decoding anything
        return clean_photo(upload)
