"""The one photo decode path: bytes → EXIF-transposed RGB → fixed-size uint8 array.

Training, serving and batch scoring all call `decode_photo`; nothing else touches raw photos, so
a photo means the same thing to the model wherever it comes from. Pillow's decompression-bomb
guard stays on, and our own byte and pixel limits are checked before any pixel is decoded.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path, PurePath

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Formats a listing photo may use; limiting them keeps rarely-audited parsers away from input.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")


class PhotoError(ValueError):
    """A photo that cannot be used; the message says why and names the limit."""


class PhotoTooLargeError(PhotoError):
    """Over the byte or pixel limit (decompression bombs included)."""


class PhotoUndecodableError(PhotoError):
    """Not an image in a supported format, or a damaged one."""


class PhotoPathError(PhotoError):
    """The path is missing, unreadable or leads outside the folder it must stay in."""


def decode_photo(data: bytes, size: int, *, max_bytes: int, max_pixels: int) -> np.ndarray:
    """Decode photo bytes into a `size`x`size`x3 uint8 array, padding to keep the aspect."""
    if len(data) > max_bytes:
        raise PhotoTooLargeError(f"photo is {len(data)} bytes; the limit is {max_bytes}")
    if not data:
        raise PhotoUndecodableError("photo is empty (0 bytes)")
    try:
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as img:
            width, height = img.size
            if width * height > max_pixels:
                raise PhotoTooLargeError(
                    f"photo is {width}x{height} = {width * height} pixels; "
                    f"the limit is {max_pixels}"
                )
            img.draft("RGB", (size, size))  # JPEG: decode at reduced scale, much faster
            rgb = ImageOps.exif_transpose(img).convert("RGB")
            square = ImageOps.pad(rgb, (size, size), method=Image.Resampling.BILINEAR)
            return np.asarray(square, dtype=np.uint8)
    except Image.DecompressionBombError as exc:
        raise PhotoTooLargeError(f"photo looks like a decompression bomb: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoUndecodableError(
            f"photo cannot be decoded as {'/'.join(PHOTO_FORMATS)}"
        ) from exc


def resolve_inside(root: Path, relative: str) -> Path:
    """Resolve `relative` under `root`, refusing absolute paths, `..` and symlinks leading out."""
    if not relative:
        raise PhotoPathError("photo path is empty")
    if "\x00" in relative:
        raise PhotoPathError("photo path contains a NUL byte")
    if Path(relative).is_absolute() or relative.startswith(("/", "\\")):
        raise PhotoPathError(f"photo path {relative!r} is absolute; it must be relative")
    base = _resolved(root.absolute())  # absolute: the cache must not outlive a chdir
    parts = PurePath(relative).parts
    if ".." not in parts and not _has_symlink(base, parts):
        return base.joinpath(*parts)  # a real folder plus plain names: inside by construction
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise PhotoPathError(f"photo path {relative!r} leads outside the dataset folder")
    return target


@functools.lru_cache(maxsize=64)
def _resolved(root: Path) -> Path:
    """The real path of a photo root, looked up once: `resolve` stats every component."""
    return root.resolve()


def _has_symlink(base: Path, parts: tuple[str, ...]) -> bool:
    """Whether any component of `base/parts` below `base` is a symlink (missing ones are not)."""
    path = base
    for part in parts:
        path = path / part
        if path.is_symlink():
            return True
    return False


def read_photo_file(root: Path, relative: str, max_bytes: int) -> bytes:
    """Read a photo file that must stay inside `root`, without reading past the byte limit."""
    path = resolve_inside(root, relative)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise PhotoPathError(f"photo file {relative!r} does not exist") from exc
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise PhotoPathError(f"photo file {relative!r} cannot be read: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise PhotoTooLargeError(f"photo file {relative!r} is over the limit of {max_bytes} bytes")
    return data
