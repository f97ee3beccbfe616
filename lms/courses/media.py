"""Media files of a course: where a `src` points, what the file is, and whether it is safe."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from flask_babel import gettext as _

MAX_MEDIA_BYTES = 50 * 1024 * 1024

# Extension → (kind, Content-Type). Only formats every current browser plays or shows.
MEDIA_TYPES = {
    ".svg": ("image", "image/svg+xml"),
    ".png": ("image", "image/png"),
    ".jpg": ("image", "image/jpeg"),
    ".jpeg": ("image", "image/jpeg"),
    ".gif": ("image", "image/gif"),
    ".webp": ("image", "image/webp"),
    ".mp3": ("audio", "audio/mpeg"),
    ".m4a": ("audio", "audio/mp4"),
    ".ogg": ("audio", "audio/ogg"),
    ".oga": ("audio", "audio/ogg"),
    ".opus": ("audio", "audio/ogg"),
    ".wav": ("audio", "audio/wav"),
    ".mp4": ("video", "video/mp4"),
    ".webm": ("video", "video/webm"),
    ".ogv": ("video", "video/ogg"),
}
# How each format's bytes start, to catch a file saved under the wrong name.
_SIGNATURES = {
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda b: b.startswith((b"GIF87a", b"GIF89a")),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "audio/wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    "audio/ogg": lambda b: b.startswith(b"OggS"),
    "video/ogg": lambda b: b.startswith(b"OggS"),
    "audio/mpeg": lambda b: b.startswith(b"ID3") or (len(b) > 1 and b[0] == 0xFF and b[1] & 0xE0 == 0xE0),
    "audio/mp4": lambda b: b[4:8] == b"ftyp",
    "video/mp4": lambda b: b[4:8] == b"ftyp",
    "video/webm": lambda b: b.startswith(b"\x1a\x45\xdf\xa3"),
}
_UNSAFE_SVG_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "embed", "object"})
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class MediaFile:
    """A local media file of a course, as it will be stored (`CourseMedia`)."""

    path: Path
    sha256: str
    content_type: str
    data: bytes

    @property
    def url(self) -> str:
        return f"/media/{self.sha256}"


def _kind_name(kind: str) -> str:
    return {"image": _("an image"), "audio": _("an audio file"), "video": _("a video")}[kind]


def _local_name(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def svg_problems(data: bytes) -> list[str]:
    """Why an SVG file is unsafe to serve (scripts, foreign content, event handlers), if it is."""
    if _DECLARATION.search(data):
        return [_("the SVG declares a DOCTYPE or entities; remove them")]
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE and entities are refused above
    except ET.ParseError as error:
        return [_("the SVG is not well-formed XML (%(detail)s)", detail=str(error))]
    if _local_name(root.tag) != "svg":
        return [_("the file is not an SVG image (its root element is <%(tag)s>)", tag=_local_name(root.tag))]
    problems = []
    for element in root.iter():
        tag = _local_name(str(element.tag))
        if tag in _UNSAFE_SVG_ELEMENTS:
            problems.append(
                _("the SVG contains a <%(tag)s> element; remove it", tag=element.tag.rsplit("}")[-1])
            )
        for name, value in element.attrib.items():
            attribute = _local_name(name)
            if attribute.startswith("on"):
                problems.append(
                    _(
                        "the SVG has an event attribute %(name)s on <%(tag)s>; remove it",
                        name=attribute,
                        tag=tag,
                    )
                )
            elif attribute == "href" and "".join(value.split()).lower().startswith(
                ("javascript:", "data:text")
            ):
                problems.append(_("the SVG links to '%(href)s'; remove the link", href=value.strip()[:40]))
    return problems


def check_media(folder: Path, src: str, kind: str) -> tuple[MediaFile | None, list[str]]:
    """Resolve the `src` of an image, audio or video block of the course in `folder`.

    Returns the local file (None for an https URL) and the problems found, as messages.
    """
    if "://" in src or src.lower().startswith(("javascript:", "data:", "http:", "https:", "mailto:")):
        parts = urlsplit(src)
        if parts.scheme.lower() != "https" or not parts.hostname:
            return None, [_("media URL '%(src)s' must be an https:// address", src=src[:80])]
        if kind == "image":
            return None, [
                _(
                    "images must be files of the course (e.g. media/picture.svg): the site only shows "
                    "images it serves itself, which also keeps pages light"
                )
            ]
        return None, []
    pure = PurePosixPath(src.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", src):
        return None, [_("media path '%(src)s' must be relative to the course folder", src=src)]
    if "\x00" in src:
        # Reported where the file was read (lms/courses/reading.py); no path can hold it.
        return None, []
    root = folder.resolve()
    target = (root / pure).resolve()
    if not target.is_relative_to(root):
        return None, [_("media path '%(src)s' leads outside the course folder", src=src)]
    if not target.is_file():
        return None, [_("media file '%(src)s' does not exist", src=src)]
    suffix = target.suffix.lower()
    if suffix not in MEDIA_TYPES:
        known = ", ".join(sorted(s for s, (k, _type) in MEDIA_TYPES.items() if k == kind))
        return None, [
            _("'%(src)s' is not a supported %(kind)s format; use %(known)s", src=src, kind=kind, known=known)
        ]
    file_kind, content_type = MEDIA_TYPES[suffix]
    if file_kind != kind:
        return None, [
            _(
                "'%(src)s' is %(what)s, not %(kind)s",
                src=src,
                what=_kind_name(file_kind),
                kind=_kind_name(kind),
            )
        ]
    try:
        if target.stat().st_size > MAX_MEDIA_BYTES:
            return None, [_("'%(src)s' is larger than %(n)d MB", src=src, n=MAX_MEDIA_BYTES // (1024 * 1024))]
        data = target.read_bytes()
    except OSError as error:
        return None, [_("cannot read '%(src)s': %(reason)s", src=src, reason=error.strerror or error)]
    if content_type == "image/svg+xml":
        problems = svg_problems(data)
    else:
        check = _SIGNATURES.get(content_type)
        problems = (
            []
            if check is None or check(data)
            else [_("'%(src)s' does not contain what its name says (%(type)s)", src=src, type=content_type)]
        )
    media = MediaFile(target, hashlib.sha256(data).hexdigest(), content_type, data)
    return (None if problems else media), problems
