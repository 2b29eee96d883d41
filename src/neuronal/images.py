"""Turning a picture of a digit into the input a network trained on MNIST expects.

MNIST digits are white on black, 28x28, scaled into a 20x20 box and centred by their centre
of mass.
:func:`load_digit_image` reproduces that from any PNG/JPEG: grey-scale, invert when the
background is light, crop to the ink, scale the longer side to 20 pixels, centre the ink's
mass in the frame.
Pillow is imported only here, when needed (``pip install "neuronal[image]"``).
"""

from __future__ import annotations

import os

import numpy as np

from .errors import DataError

__all__ = ["load_digit_image", "MAX_PIXELS"]

#: Largest picture accepted, in pixels (width x height): 50 megapixels, more than a phone
#: photo, far less than a decompression bomb (a few KB of PNG that would decode to gigabytes).
MAX_PIXELS = 50_000_000


def load_digit_image(path: str | os.PathLike, size: int = 28, box: int | None = None) -> np.ndarray:
    """Load a digit picture as a ``(size, size)`` float32 array in [0, 1], white ink on black.

    Parameters
    ----------
    path : str or PathLike
        Any image Pillow can read, of any size.
    size : int, default 28
        Side of the output frame (28 for MNIST, 8 for scikit-learn's digits).
    box : int, optional
        Side of the box the digit is scaled into; default ``round(size * 20 / 28)``.

    Raises
    ------
    DataError
        The file is missing, not an image Pillow can decode, larger than :data:`MAX_PIXELS`
        (a decompression bomb), blank, or ``size``/``box`` are not positive integers.
    """
    size = _side(size, "size")
    box = None if box is None else _side(box, "box")
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError('reading images needs Pillow: pip install "neuronal[image]"') from None
    grey = _read_grey(Image, path)
    # The background is what the border mostly shows: light background -> dark ink -> invert.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey, border = 1.0 - grey, 1.0 - border
    background = float(np.median(border))
    grey = np.clip((grey - background) / max(1e-6, 1.0 - background), 0.0, 1.0)
    ink = np.argwhere(grey > 0.1)
    if len(ink) == 0:
        raise DataError(f"{os.fspath(path)!r} looks blank: no digit strokes found; expected a "
                        f"picture of a digit with contrast between ink and background")
    (r0, c0), (r1, c1) = ink.min(axis=0), ink.max(axis=0) + 1
    digit = grey[r0:r1, c0:c1]
    box = box or max(1, round(size * 20 / 28))
    h, w = digit.shape
    scale = box / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray((digit * 255).astype(np.uint8)).resize((new_w, new_h), Image.LANCZOS)
    scaled = np.asarray(img, dtype=np.float32) / 255.0
    # Like MNIST, put the centre of mass of the ink (not the box) at the centre of the frame.
    rows, cols = np.indices(scaled.shape)
    mass = max(float(scaled.sum()), 1e-6)
    com_r, com_c = float((rows * scaled).sum()) / mass, float((cols * scaled).sum()) / mass
    top = int(np.clip(round(size / 2 - 0.5 - com_r), 0, size - new_h))
    left = int(np.clip(round(size / 2 - 0.5 - com_c), 0, size - new_w))
    frame = np.zeros((size, size), dtype=np.float32)
    frame[top : top + new_h, left : left + new_w] = scaled
    peak = frame.max()
    return frame / peak if peak > 0 else frame


def _side(value, what: str) -> int:
    integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not integer or not 1 <= value <= 4096:
        raise DataError(f"load_digit_image {what} must be an integer from 1 to 4096, got {value!r}")
    return int(value)


def _read_grey(Image, path) -> np.ndarray:
    """The picture as grey levels in [0, 1]; every failure a DataError naming the file."""
    import warnings

    try:
        shown = os.fspath(path)
    except TypeError:
        raise DataError(f"expected an image path (str or pathlib.Path), got "
                        f"{type(path).__name__}") from None
    try:
        # Pillow warns (then refuses) beyond its own limits when opening: make its warning an
        # error here, where it is caught and reported like any bad picture.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(shown) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise DataError(
                        f"{shown!r} is {w} x {h} pixels ({w * h / 1e6:.0f} megapixels), more "
                        f"than the {MAX_PIXELS / 1e6:.0f} megapixels load_digit_image reads: a "
                        f"decompression bomb, or a photo to scale down first"
                    )
                return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"image file {shown!r} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{shown!r} is a folder, not an image file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{shown!r} is too large to decode safely (a decompression bomb?): "
                        f"{exc}") from None
    except Exception as exc:  # Pillow raises many types on malformed files
        raise DataError(f"cannot read {shown!r} as an image: {exc or type(exc).__name__}") from None
