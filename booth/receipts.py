"""Receipts as they travel: compact text for links and QR codes, and QR images."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg

from ballot.errors import InvalidInput
from crypto.canonical import canonical_json, parse_json

MAX_RECEIPT_TEXT = 2000


def encode(doc: dict[str, Any]) -> str:
    """``{receipt, signature}`` as URL-safe base64 of its canonical JSON."""
    return base64.urlsafe_b64encode(canonical_json(doc)).decode().rstrip("=")


def decode(text: str) -> Any:
    """Accept the link form or pasted JSON; anything else is a named error."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("paste a receipt, upload its QR image or open its link")
    if len(text) > MAX_RECEIPT_TEXT:
        raise InvalidInput("this is longer than any receipt")
    if text.startswith("{"):
        return parse_json(text)
    if "receipt=" in text:
        text = text.split("receipt=", 1)[1].split("&", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise InvalidInput("this is not a receipt (neither JSON nor a receipt link)") from None
    return parse_json(raw)


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no script, allowed by the page's CSP); empty if too long."""
    try:
        image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8,
                            border=2)
    except ValueError:  # more than a QR code can hold
        return ""
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8").split("?>", 1)[-1]


def qr_data_url(data: str) -> str:
    """The QR code as an ``data:image/svg+xml`` URL: an ``<img>`` a page can show
    without inserting markup (and which the page's CSP allows)."""
    svg = qr_svg(data)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode() \
        if svg else ""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


def read_qr_image(data: bytes) -> str:
    """The text of the first QR code in an uploaded image."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(data) > 5 * 1024 * 1024:
        raise InvalidInput("the image is larger than 5 MB")
    # Only PNG and JPEG, by their content: Pillow would otherwise open TIFF, BMP, GIF and
    # dozens more, and hand EPS to Ghostscript.
    if not data.startswith((PNG_SIGNATURE, JPEG_SIGNATURE)):
        raise InvalidInput("the upload is not a PNG or JPEG image")
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
        if image.width * image.height > 40_000_000:  # checked before decoding anything
            raise InvalidInput("the image has too many pixels")
        image.load()
    except Image.DecompressionBombError:
        raise InvalidInput("the image has too many pixels") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise InvalidInput("the upload is not a readable image (PNG or JPEG)") from None
    found = zxingcpp.read_barcodes(image.convert("L"))
    if not found:
        raise InvalidInput("no QR code was found in the image")
    return found[0].text

