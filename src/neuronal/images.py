"""Turning a picture of a digit into the input a network trained on digits expects.

Two styles, matching the two data sets the library trains on:

* **MNIST** (28x28): white ink on black, the digit scaled into a 20x20 box and centred by its
  centre of mass in the 28x28 frame.
* **scikit-learn's 8x8 digits** (UCI optdigits): the digit scaled to the full height of a
  32x32 frame (keeping its aspect) and centred by its bounding box; each 4x4 block becomes one
  pixel, the share of it covered with ink (0..16 in the original, 0..1 here, as
  :func:`neuronal.datasets.load_digits` scales it).

:func:`load_digit_image` does either from any PNG/JPEG: transparent pixels are put on white
(what a browser canvas exports is dark strokes on a transparent background), grey-scale, invert
when the background is light, crop to the ink, then the style's scaling and centring.
Pillow is imported only here, when needed (``pip install "neuronal[image]"``).
"""

from __future__ import annotations

import os

import numpy as np

from .errors import DataError, NeuronalError

__all__ = ["load_digit_image", "save_image", "MAX_PIXELS"]

#: Largest picture accepted, in pixels (width x height): 50 megapixels, more than a phone
#: photo, far less than a decompression bomb (a few KB of PNG that would decode to gigabytes).
MAX_PIXELS = 50_000_000

_MIN_INK = 0.2  # an 8x8-style frame with less ink than this (share of 32x32 pixels) is
#                 thickened: the optdigits strokes cover 25-36 % of the frame (1st-95th pct.)


def _read_grey(path: str | os.PathLike) -> np.ndarray:
    """The picture as grey levels in [0, 1], transparent areas composited on white; every
    failure a DataError naming the file."""
    import warnings

    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError('reading images needs Pillow: pip install "neuronal[image]"') from None
    try:
        name = os.fspath(path)
    except TypeError:
        raise DataError(f"expected an image path (str or pathlib.Path), got "
                        f"{type(path).__name__}") from None
    try:
        # Pillow warns (then refuses) beyond its own limits when opening: make its warning an
        # error here, where it is caught and reported like any bad picture.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(name) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise DataError(
                        f"{name!r} is {w} x {h} pixels ({w * h / 1e6:.0f} megapixels), more "
                        f"than the {MAX_PIXELS / 1e6:.0f} megapixels load_digit_image reads: a "
                        f"decompression bomb, or a photo to scale down first")
                im.load()
                transparent = im.mode in ("RGBA", "LA", "PA") or (
                    im.mode == "P" and "transparency" in im.info)
                if not transparent:
                    return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
                rgba = im.convert("RGBA")
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"image file {name!r} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{name!r} is a folder, not an image file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{name!r} is too large to decode safely (a decompression bomb?): "
                        f"{exc}") from None
    except Exception as exc:  # Pillow raises many types on malformed files
        raise DataError(f"cannot read {name!r} as an image: {exc or type(exc).__name__}") \
            from None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    white.alpha_composite(rgba)
    grey = np.asarray(white.convert("L"), dtype=np.float32) / 255.0
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    if np.ptp(grey) < 0.1 and np.ptp(alpha) >= 0.1:
        # light strokes on a transparent background vanish on white: the strokes are where
        # the picture is opaque
        grey = 1.0 - alpha
    return grey


def _side(value, what: str) -> int:
    integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not integer or not 1 <= value <= 4096:
        raise DataError(f"load_digit_image {what} must be an integer from 1 to 4096, got {value!r}")
    return int(value)


def _ink(grey: np.ndarray, name: str, faint: float = 0.1) -> np.ndarray:
    """White ink on black in [0, 1], cropped to the strokes (pixels above ``faint``)."""
    # The background is what the border mostly shows: light background -> dark ink -> invert.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey, border = 1.0 - grey, 1.0 - border
    background = float(np.median(border))
    grey = np.clip((grey - background) / max(1e-6, 1.0 - background), 0.0, 1.0)
    ink = np.argwhere(grey > faint)
    if len(ink) == 0:
        raise DataError(f"{name!r} looks blank: no digit strokes found")
    (r0, c0), (r1, c1) = ink.min(axis=0), ink.max(axis=0) + 1
    return grey[r0:r1, c0:c1]


def _resize(digit: np.ndarray, height: int, width: int, box: bool = False) -> np.ndarray:
    from PIL import Image

    img = Image.fromarray((digit * 255).astype(np.uint8))
    img = img.resize((max(1, width), max(1, height)), Image.BOX if box else Image.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def _mnist_style(digit: np.ndarray, size: int, box: int | None) -> np.ndarray:
    box = box or max(1, round(size * 20 / 28))
    h, w = digit.shape
    scale = box / max(h, w)
    scaled = _resize(digit, max(1, round(h * scale)), max(1, round(w * scale)))
    new_h, new_w = scaled.shape
    # Like MNIST, put the centre of mass of the ink (not the box) at the centre of the frame.
    rows, cols = np.indices(scaled.shape)
    mass = max(float(scaled.sum()), 1e-6)
    com_r, com_c = float((rows * scaled).sum()) / mass, float((cols * scaled).sum()) / mass
    top = int(np.clip(round(size / 2 - 0.5 - com_r), 0, size - new_h))
    left = int(np.clip(round(size / 2 - 0.5 - com_c), 0, size - new_w))
    frame = np.zeros((size, size), dtype=np.float32)
    frame[top : top + new_h, left : left + new_w] = scaled
    return frame


def _dilate(img: np.ndarray) -> np.ndarray:
    """Each pixel the brightest of its 3x3 neighbourhood: strokes one pixel thicker."""
    padded = np.pad(img, 1)
    h, w = img.shape
    return np.max([padded[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)


def _digits_style(digit: np.ndarray, size: int) -> np.ndarray:
    fine = 4 * size  # optdigits: a 32x32 bitmap, then the ink counted in 4x4 blocks
    h, w = digit.shape
    scale = fine / max(h, w)
    scaled = _resize(digit, max(1, round(h * scale)), max(1, round(w * scale)))
    frame = np.zeros((fine, fine), dtype=np.float32)
    top, left = (fine - scaled.shape[0] + 1) // 2, (fine - scaled.shape[1] + 1) // 2
    frame[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    frame /= max(float(frame.max()), 1e-6)  # a light pen counts as ink
    for _ in range(4):  # a thin pen: thicken the strokes to the data set's usual share
        if frame.mean() >= _MIN_INK:
            break
        frame = _dilate(frame)
    return frame.reshape(size, 4, size, 4).mean(axis=(1, 3))


def load_digit_image(path: str | os.PathLike, size: int = 28, box: int | None = None,
                     style: str | None = None) -> np.ndarray:
    """Load a digit picture as a ``(size, size)`` float32 array in [0, 1], white ink on black.

    Parameters
    ----------
    path : str or PathLike
        Any image Pillow can read, of any size; transparent areas count as white paper.
    size : int, default 28
        Side of the output frame (28 for MNIST, 8 for scikit-learn's digits).
    box : int, optional
        MNIST style: side of the box the digit is scaled into; default
        ``round(size * 20 / 28)``.
    style : {"mnist", "digits"}, optional
        Default ``"digits"`` for ``size=8``, else ``"mnist"`` (see the module docstring).

    Raises
    ------
    DataError
        The file is missing, not an image Pillow can decode, larger than :data:`MAX_PIXELS`
        (a decompression bomb), blank, or ``size``/``box`` are not positive integers.
    """
    style = style or ("digits" if size == 8 else "mnist")
    if style not in ("mnist", "digits"):
        raise NeuronalError(f"style must be 'mnist' or 'digits', got {style!r}")
    size = _side(size, "size")
    box = None if box is None else _side(box, "box")
    # the 8x8 blocks keep faint pixels (1/16 of a block is a value of 1 of 16): crop to them
    digit = _ink(_read_grey(path), os.fspath(path), 0.05 if style == "digits" else 0.1)
    if style == "digits":
        return _digits_style(digit, int(size))
    frame = _mnist_style(digit, int(size), box)
    peak = frame.max()
    return frame / peak if peak > 0 else frame


def save_image(image: np.ndarray, path: str | os.PathLike, min_side: int = 140) -> None:
    """Write a grey image in [0, 1] (white = 1) as a PNG, enlarged with square pixels so a
    28x28 or 8x8 input can be seen; atomically (temporary file, then rename)."""
    import io

    from PIL import Image

    from .io.atomic import atomic_write as _atomic_write

    arr = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    if arr.ndim != 2:
        raise NeuronalError(f"save_image takes one 2-D image, got shape {arr.shape}")
    factor = max(1, -(-min_side // max(arr.shape)))
    img = Image.fromarray(np.round(arr * 255).astype(np.uint8)).resize(
        (arr.shape[1] * factor, arr.shape[0] * factor), Image.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    _atomic_write(path, buffer.getvalue(), what="the image")  # NeuronalError if it cannot
