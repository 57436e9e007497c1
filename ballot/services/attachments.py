"""Files people upload (a proposal's attachment, a progress photo): checked before kept.

The declared type must be one we serve safely and the bytes must start the
way that type starts, so a script cannot arrive dressed as a photo.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballot.errors import InvalidInput

ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
MAX_ATTACHMENT = 5 * 1024 * 1024
_MAGIC = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


def check_attachment(attachment: Attachment | None) -> None:
    if attachment is None:
        return
    if attachment.content_type not in ATTACHMENT_TYPES:
        raise InvalidInput("an attachment is a PDF, JPEG or PNG file")
    if len(attachment.data) > MAX_ATTACHMENT:
        raise InvalidInput("an attachment has at most 5 MB")
    if not attachment.data.startswith(_MAGIC[attachment.content_type]):
        raise InvalidInput("the attachment's content is not the file type it claims")
    if not attachment.name.strip() or len(attachment.name) > 200:
        raise InvalidInput("an attachment needs a file name of at most 200 characters")
