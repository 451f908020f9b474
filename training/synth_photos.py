"""Photos for the synthetic listings: a garment silhouette with its pattern, colours and damage.

The photo is the only place the pattern, the colourway and visible damage show, so they are drawn
boldly (few thick stripes, large dots, big stains and holes) to survive downscaling to ~48 px.
Each photo is drawn at twice its size and box-reduced, which smooths every edge. Everything random
comes from the `rng` passed in, so a photo is a pure function of its row.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

JPEG_QUALITY = 90
SUPERSAMPLE = 2

# name -> (base RGB, accent RGB); their price effects live with the other factors in synth.py
COLOURWAYS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "black/grey": ((30, 30, 34), (150, 150, 156)),
    "navy/white": ((28, 40, 92), (236, 236, 230)),
    "camel/cream": ((176, 128, 78), (242, 230, 200)),
    "burgundy/gold": ((118, 24, 44), (218, 172, 58)),
    "forest/mustard": ((34, 84, 50), (214, 176, 40)),
    "charcoal/red": ((66, 66, 72), (204, 38, 40)),
    "pink/white": ((236, 138, 170), (252, 246, 246)),
    "olive/khaki": ((94, 100, 44), (192, 176, 120)),
    "orange/teal": ((240, 118, 28), (18, 138, 140)),
    "sky/yellow": ((108, 170, 226), (250, 220, 60)),
}
PATTERNS = ("solid", "stripes", "checks", "dots", "colour-block")
# damage level -> (stains, holes, tears): marks grow in number and size with severity, and only
# heavy damage tears the cloth, which keeps the levels apart even at 48 px
DAMAGE_MARKS = {0: (0, 0, 0), 1: (1, 0, 0), 2: (2, 0, 0), 3: (1, 2, 1)}
SCUFF = (35, 30, 28)  # frayed edges around holes and tears

Polygon = tuple[float, ...]  # x0, y0, x1, y1, ... in unit coordinates (x right, y down)
PhotoJob = tuple[int, str, str, str, str, int]  # row, id, category, pattern, colourway, damage


@dataclass(frozen=True)
class Silhouette:
    """A garment outline made of polygons in unit coordinates."""

    body: tuple[Polygon, ...]  # carries the pattern and the damage
    cutouts: tuple[Polygon, ...] = ()  # background shows through: necklines
    trims: tuple[Polygon, ...] = ()  # darker shade of the base colour: cuffs, bands, collars
    soles: tuple[Polygon, ...] = ()  # off-white rubber, never patterned
    seams: tuple[Polygon, ...] = ()  # thin darker lines


def _mirror(shape: Polygon) -> Polygon:
    """The shape reflected about x = 0.5: the right sleeve from the left one."""
    return tuple(1 - v if k % 2 == 0 else v for k, v in enumerate(shape))


def _oval(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """An ellipse as a 24-gon, so it turns with the garment like every other part."""
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    angles = [2 * math.pi * k / 24 for k in range(24)]
    return tuple(v for a in angles for v in (cx + rx * math.cos(a), cy + ry * math.sin(a)))


def _top(hem: float, cuff: float) -> tuple[Polygon, ...]:
    """Body and sleeves shared by coats, jackets, shirts and sweaters; cuff 0 = short sleeves."""
    flare = (hem - 0.6) * 0.1  # long garments widen towards the hem
    body = (0.31, 0.1, 0.69, 0.1, 0.71 + flare, hem, 0.29 - flare, hem)
    if cuff:
        sleeve: Polygon = (0.31, 0.1, 0.2, 0.15, 0.08, cuff, 0.19, cuff + 0.03, 0.3, 0.34)
    else:
        sleeve = (0.31, 0.1, 0.15, 0.2, 0.21, 0.38, 0.31, 0.32)
    return body, sleeve, _mirror(sleeve)


def _both(shape: Polygon) -> tuple[Polygon, Polygon]:
    return shape, _mirror(shape)


SILHOUETTES: dict[str, Silhouette] = {
    "coat": Silhouette(
        body=_top(0.95, 0.74),
        cutouts=((0.42, 0.1, 0.58, 0.1, 0.5, 0.32),),
        trims=_both((0.42, 0.1, 0.5, 0.32, 0.46, 0.36, 0.37, 0.12)),
        seams=((0.5, 0.32, 0.5, 0.95),),
    ),
    "jacket": Silhouette(
        body=_top(0.62, 0.6),
        cutouts=((0.43, 0.1, 0.57, 0.1, 0.5, 0.28),),
        trims=((0.29, 0.58, 0.71, 0.58, 0.71, 0.62, 0.29, 0.62),),
        seams=((0.5, 0.28, 0.5, 0.62),),
    ),
    "shirt": Silhouette(
        body=_top(0.8, 0.0),
        cutouts=(_oval(0.44, 0.06, 0.56, 0.16),),
        trims=_both((0.44, 0.1, 0.5, 0.16, 0.45, 0.22, 0.39, 0.11)),
        seams=((0.5, 0.16, 0.5, 0.8),),
    ),
    "sweater": Silhouette(
        body=_top(0.82, 0.76),
        cutouts=(_oval(0.41, 0.04, 0.59, 0.17),),
        trims=(
            (0.29, 0.76, 0.71, 0.76, 0.71, 0.82, 0.29, 0.82),
            *_both((0.085, 0.71, 0.19, 0.74, 0.19, 0.79, 0.08, 0.76)),
        ),
    ),
    "dress": Silhouette(
        body=(
            (0.38, 0.08, 0.62, 0.08, 0.6, 0.4, 0.4, 0.4),
            (0.4, 0.4, 0.6, 0.4, 0.82, 0.95, 0.18, 0.95),
        ),
        cutouts=(_oval(0.43, 0.03, 0.57, 0.15),),
        trims=((0.395, 0.38, 0.605, 0.38, 0.61, 0.43, 0.39, 0.43),),
    ),
    "skirt": Silhouette(
        body=((0.34, 0.3, 0.66, 0.3, 0.84, 0.8, 0.16, 0.8),),
        trims=((0.34, 0.27, 0.66, 0.27, 0.665, 0.34, 0.335, 0.34),),
        seams=((0.45, 0.34, 0.38, 0.8), (0.55, 0.34, 0.62, 0.8)),
    ),
    "jeans": Silhouette(
        body=(
            (0.3, 0.1, 0.7, 0.1, 0.72, 0.36, 0.28, 0.36),
            *_both((0.28, 0.3, 0.5, 0.3, 0.475, 0.95, 0.31, 0.95)),
        ),
        trims=((0.3, 0.06, 0.7, 0.06, 0.7, 0.12, 0.3, 0.12),),
        seams=((0.5, 0.12, 0.5, 0.3), (0.36, 0.16, 0.42, 0.22), (0.64, 0.16, 0.58, 0.22)),
    ),
    "sneakers": Silhouette(
        body=(
            (0.08, 0.62, 0.09, 0.33, 0.2, 0.37, 0.32, 0.33, 0.42, 0.2, 0.5, 0.22, 0.62, 0.34,
             0.78, 0.43, 0.9, 0.48, 0.95, 0.62),
            _oval(0.74, 0.42, 0.97, 0.66),
        ),
        soles=((0.05, 0.6, 0.97, 0.6, 0.97, 0.68, 0.93, 0.73, 0.08, 0.73, 0.05, 0.68),),
        trims=((0.08, 0.62, 0.09, 0.33, 0.15, 0.35, 0.15, 0.62),),
        seams=((0.44, 0.28, 0.5, 0.34), (0.5, 0.26, 0.56, 0.36), (0.56, 0.3, 0.62, 0.39)),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Pose:
    """Where the garment lies in the photo: unit coordinates scaled, turned and shifted."""

    scale: float
    centre: tuple[float, float]  # unit coordinates that land on `origin`
    origin: tuple[float, float]  # pixels
    cos: float
    sin: float

    def to_px(self, shape: Polygon) -> list[tuple[float, float]]:
        """The polygon's points in pixels."""
        (cx, cy), (ox, oy) = self.centre, self.origin
        points = []
        for x, y in zip(shape[0::2], shape[1::2], strict=True):
            u, v = (x - cx) * self.scale, (y - cy) * self.scale
            points.append((ox + u * self.cos - v * self.sin, oy + u * self.sin + v * self.cos))
        return points

    def fabric_grid(self, canvas: int) -> tuple[np.ndarray, np.ndarray]:
        """Pixel rows and columns turned back into the garment's frame: patterns turn with it."""
        ys, xs = _grid(canvas)
        dy, dx = ys - np.float32(self.origin[1]), xs - np.float32(self.origin[0])
        cos, sin = np.float32(self.cos), np.float32(self.sin)
        return dy * cos - dx * sin, dx * cos + dy * sin


def draw_photo(
    category: str, pattern: str, colourway: str, damage: int, size: int, rng: np.random.Generator
) -> Image.Image:
    """A `size`x`size` RGB photo of one garment; damage is 0 (none) to 3 (heavy)."""
    canvas = size * SUPERSAMPLE
    shape = SILHOUETTES[category]
    base, accent = (_jitter(c, rng) for c in COLOURWAYS[colourway])
    pose = _pose(shape, canvas, rng)
    garment = _fabric(pattern, base, accent, pose, canvas, rng)
    mask = Image.new("L", (canvas, canvas), 0)
    _draw_silhouette(shape, garment, mask, base, pose, canvas)
    _draw_damage(damage, garment, mask, canvas, rng)
    small = _compose(garment, mask, canvas, rng).reduce(SUPERSAMPLE)
    return Image.fromarray(_lighting(np.asarray(small), rng))


def write_photo_chunk(folder: Path, seed: int, size: int, jobs: list[PhotoJob]) -> int:
    """Draw and save `photos/<id>.jpg` for each job; runs in a worker process.

    Each photo has its own random stream (seed, row, 1), so which process draws it never matters.
    """
    for index, listing_id, category, pattern, colourway, damage in jobs:
        rng = np.random.default_rng([seed, index, 1])
        photo = draw_photo(category, pattern, colourway, damage, size, rng)
        save_jpeg(photo, folder / "photos" / f"{listing_id}.jpg")
    return len(jobs)


def save_jpeg(photo: Image.Image, path: Path) -> None:
    """Write a JPEG with fixed settings and no metadata: the same photo gives the same bytes."""
    photo.save(path, "JPEG", quality=JPEG_QUALITY, optimize=False, subsampling=0)


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, int, int]:
    """A slightly different dye lot; the colourway stays recognisable."""
    r, g, b = (int(np.clip(v + rng.integers(-12, 13), 0, 255)) for v in rgb)
    return r, g, b


def _pose(shape: Silhouette, canvas: int, rng: np.random.Generator) -> Pose:
    """Random placement: the outline spans 70-88% of the photo, turned up to 10 degrees."""
    coords = [xy for xy in (*shape.body, *shape.soles, *shape.trims)]
    xs = [v for xy in coords for v in xy[0::2]]
    ys = [v for xy in coords for v in xy[1::2]]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    angle = math.radians(rng.uniform(-10, 10))
    shift = rng.uniform(-0.06, 0.06, 2) * canvas
    return Pose(
        scale=float(rng.uniform(0.7, 0.88)) * canvas / span,
        centre=((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2),
        origin=(canvas / 2 + float(shift[0]), canvas / 2 + float(shift[1])),
        cos=math.cos(angle),
        sin=math.sin(angle),
    )


@functools.lru_cache(maxsize=8)
def _grid(canvas: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:canvas, 0:canvas].astype(np.float32)
    return ys, xs


def _fabric(
    pattern: str,
    base: tuple[int, int, int],
    accent: tuple[int, int, int],
    pose: Pose,
    canvas: int,
    rng: np.random.Generator,
) -> Image.Image:
    """The patterned cloth over the whole canvas; the silhouette mask later clips it."""
    ys, xs = pose.fabric_grid(canvas)
    period = canvas * float(rng.uniform(0.16, 0.21))
    phase = (float(rng.uniform(0, period)), float(rng.uniform(0, period)))
    weight = _pattern_weight(pattern, ys, xs, period, phase, rng)
    where = Image.fromarray((weight * 255).astype(np.uint8))
    cloth = Image.composite(
        Image.new("RGB", where.size, accent), Image.new("RGB", where.size, base), where
    )
    return ImageChops.multiply(cloth, _fold_shading(canvas))


def _pattern_weight(
    pattern: str,
    ys: np.ndarray,
    xs: np.ndarray,
    period: float,
    phase: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Where the accent colour goes: 0 = base colour, 1 = accent, in between = checks crossing."""
    if pattern == "stripes":
        along = ys if rng.random() < 0.6 else xs
        return (((along + phase[0]) % period) < period * 0.45).astype(np.float32)
    if pattern == "checks":
        rows = ((ys + phase[0]) % period) < period / 2
        cols = ((xs + phase[1]) % period) < period / 2
        return 0.55 * rows.astype(np.float32) + 0.45 * cols.astype(np.float32)
    if pattern == "dots":
        shift = np.floor((ys + phase[0]) / period) % 2 * (period / 2)  # staggered rows
        dy = (ys + phase[0]) % period - period / 2
        dx = (xs + phase[1] + shift) % period - period / 2
        return (dy * dy + dx * dx < (period * 0.27) ** 2).astype(np.float32)
    if pattern == "colour-block":
        split = len(ys) * float(rng.uniform(-0.1, 0.1))  # ys is centred on the garment here
        tilt = float(rng.uniform(-0.5, 0.5))
        return ((ys + xs * tilt) > split).astype(np.float32)
    return np.zeros(ys.shape, np.float32)


@functools.lru_cache(maxsize=8)
def _fold_shading(canvas: int) -> Image.Image:
    """Soft darkening towards the left and right edges, as if the cloth curved away."""
    across = 255 * (1.0 - 0.48 * (np.linspace(0, 1, canvas) - 0.5) ** 2)
    rows = np.broadcast_to(across.astype(np.uint8)[None, :, None], (canvas, canvas, 3))
    return Image.fromarray(np.ascontiguousarray(rows))


def _draw_silhouette(
    shape: Silhouette,
    garment: Image.Image,
    mask: Image.Image,
    base: tuple[int, int, int],
    pose: Pose,
    canvas: int,
) -> None:
    dark = tuple(int(v * 0.62) for v in base)
    on_mask, on_garment = ImageDraw.Draw(mask), ImageDraw.Draw(garment)
    for polygon in (*shape.body, *shape.trims, *shape.soles):
        on_mask.polygon(pose.to_px(polygon), fill=255)
    for polygon in shape.trims:
        on_garment.polygon(pose.to_px(polygon), fill=dark)
    for polygon in shape.soles:
        on_garment.polygon(pose.to_px(polygon), fill=(232, 230, 224))
    for line in shape.seams:
        on_garment.line(pose.to_px(line), fill=dark, width=max(1, canvas // 70))
    for polygon in shape.cutouts:
        on_mask.polygon(pose.to_px(polygon), fill=0)


def _draw_damage(
    level: int, garment: Image.Image, mask: Image.Image, canvas: int, rng: np.random.Generator
) -> None:
    """Stains on the cloth; holes and tears where the background shows through."""
    stains, holes, tears = DAMAGE_MARKS[level]
    inside = np.argwhere(np.asarray(mask) > 0)
    if not level or not len(inside):
        return
    grow = 1 + 0.25 * (level - 1)
    on_garment, on_mask = ImageDraw.Draw(garment), ImageDraw.Draw(mask)
    for _ in range(stains):
        y, x = inside[rng.integers(len(inside))]
        colour = _stain_colour(garment.getpixel((int(x), int(y))), rng)
        for _ in range(3):  # overlapping blobs make an irregular stain
            r = canvas * rng.uniform(0.045, 0.07) * grow
            cx, cy = x + rng.normal(0, r / 2), y + rng.normal(0, r / 2)
            on_garment.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=colour)
    for _ in range(holes):
        y, x = inside[rng.integers(len(inside))]
        r = canvas * rng.uniform(0.045, 0.06) * grow
        rim = r + canvas * 0.02
        on_garment.ellipse((x - rim, y - rim, x + rim, y + rim), fill=SCUFF)
        on_mask.ellipse((x - r, y - r, x + r, y + r), fill=0)
    for _ in range(tears):
        _draw_tear(inside, on_garment, on_mask, canvas, rng)


def _stain_colour(under: object, rng: np.random.Generator) -> tuple[int, int, int]:
    """Dark brown on light cloth, a pale bleach mark on dark cloth: visible either way."""
    red, green, blue = under[:3] if isinstance(under, tuple) else (128, 128, 128)
    if 0.3 * red + 0.59 * green + 0.11 * blue < 90:
        return int(rng.integers(195, 225)), int(rng.integers(180, 205)), 150
    return int(rng.integers(40, 75)), int(rng.integers(25, 45)), 15


def _draw_tear(
    inside: np.ndarray,
    on_garment: ImageDraw.ImageDraw,
    on_mask: ImageDraw.ImageDraw,
    canvas: int,
    rng: np.random.Generator,
) -> None:
    """A jagged slit with frayed dark edges."""
    y, x = inside[rng.integers(len(inside))]
    heading = rng.uniform(0, math.pi)
    points = [(float(x), float(y))]
    for _ in range(4):
        heading += rng.uniform(-0.7, 0.7)
        x, y = x + canvas * 0.06 * math.cos(heading), y + canvas * 0.06 * math.sin(heading)
        points.append((float(x), float(y)))
    on_garment.line(points, fill=SCUFF, width=max(3, int(canvas * 0.075)), joint="curve")
    on_mask.line(points, fill=0, width=max(1, int(canvas * 0.045)), joint="curve")


def _compose(
    garment: Image.Image, mask: Image.Image, canvas: int, rng: np.random.Generator
) -> Image.Image:
    """The garment over a gradient backdrop, with a soft drop shadow."""
    top, bottom = rng.uniform(150, 248, 3), rng.uniform(150, 248, 3)
    t = np.linspace(0, 1, canvas)[:, None, None]
    column = (top + t * (bottom - top)).astype(np.uint8)  # canvas x 1 x 3
    backdrop = Image.fromarray(np.ascontiguousarray(np.broadcast_to(column, (canvas, canvas, 3))))
    blurred = mask.filter(ImageFilter.GaussianBlur(canvas / 40))
    shadow = ImageChops.offset(blurred, canvas // 50, canvas // 40)  # light from the upper left
    backdrop = Image.composite(backdrop.point(_shadow_table()), backdrop, shadow)
    return Image.composite(garment, backdrop, mask)


@functools.lru_cache(maxsize=1)
def _shadow_table() -> list[int]:
    """Per-channel lookup: full shadow darkens the backdrop by a third."""
    return [round(v * 0.65) for v in range(256)] * 3


def _lighting(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure, light falling off across the frame, and sensor noise."""
    size = pixels.shape[0]
    ramp = np.linspace(-0.5, 0.5, size, dtype=np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    strength = float(rng.uniform(0, 0.25))
    falloff = 1 + strength * (math.cos(angle) * ramp[None, :] + math.sin(angle) * ramp[:, None])
    gain = (float(rng.uniform(0.82, 1.15)) * falloff)[..., None]
    noise = rng.standard_normal(pixels.shape, dtype=np.float32) * float(rng.uniform(1.5, 5))
    lit: np.ndarray = np.clip(pixels * gain + noise, 0, 255).astype(np.uint8)
    return lit
