"""Pictures as people give them: transparent PNGs, any size, MNIST's or the 8x8 digits' way,
and ``neuronal predict --show`` saving what the network saw."""

import numpy as np
import pytest
from PIL import Image

import neuronal as nl
from neuronal.cli import main
from neuronal.errors import DataError, NeuronalError
from neuronal.images import load_digit_image, save_image


def _digit_28():
    img = np.zeros((28, 28), dtype=np.float32)
    img[5:23, 12:16] = 1.0  # a "1"
    img[5:8, 9:13] = 1.0
    return img


def test_transparent_png_is_put_on_white_paper(tmp_path):
    # what a browser canvas exports: black strokes, transparent elsewhere (RGB 0 there too)
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)
    rgba[20:80, 45:55, 3] = 255
    path = tmp_path / "canvas.png"
    Image.fromarray(rgba, "RGBA").save(path)
    img = load_digit_image(path)
    assert img.shape == (28, 28) and img.max() == pytest.approx(1.0)
    assert img[14, 14] > 0.9 and img[0, 0] == 0  # the stroke is ink, the paper is not
    # light strokes on a transparent background: the opaque part is the ink
    rgba[..., :3] = 255
    Image.fromarray(rgba, "RGBA").save(path)
    np.testing.assert_allclose(load_digit_image(path), img, atol=1e-6)
    # a palette image with a transparent colour
    pal = Image.fromarray(np.where(rgba[..., 3] > 0, 1, 0).astype(np.uint8), "P")
    pal.putpalette([255, 255, 255, 0, 0, 0])
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.png", transparency=0)
    np.testing.assert_allclose(load_digit_image(tmp_path / "p.png"), img, atol=1e-6)


def test_blank_and_missing_pictures(tmp_path):
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(tmp_path / "empty.png")
    with pytest.raises(DataError, match="looks blank"):
        load_digit_image(tmp_path / "empty.png")
    with pytest.raises(DataError, match="does not exist"):
        load_digit_image(tmp_path / "nope.png")
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    with pytest.raises(DataError, match="cannot read"):
        load_digit_image(tmp_path / "bad.png")
    with pytest.raises(NeuronalError, match="style must be"):
        load_digit_image(tmp_path / "empty.png", style="emnist")


def test_digits_style_reproduces_the_8x8_data(tmp_path):
    (_, _), (X, _) = nl.datasets.load_digits()
    correlations, mnist_way = [], []
    for k in range(20):
        original = X[k].reshape(8, 8)
        path = tmp_path / f"{k}.png"
        Image.fromarray((255 - original * 255).astype(np.uint8)).resize(
            (64, 64), Image.NEAREST).save(path)
        img = load_digit_image(path, size=8)  # size 8: the 8x8 digits' style
        assert img.shape == (8, 8) and img.dtype == np.float32
        correlations.append(np.corrcoef(img.ravel(), original.ravel())[0, 1])
        other = load_digit_image(path, size=8, style="mnist")
        mnist_way.append(np.corrcoef(other.ravel(), original.ravel())[0, 1])
    # the same strokes, up to the shift of centring the ink's box; MNIST's way is further off
    assert np.median(correlations) > 0.9, correlations
    assert np.median(mnist_way) < np.median(correlations) - 0.1


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    model = folder / "digits.safetensors"
    assert main(["train", "digits", "--shape", "64x32x10", "--hidden", "relu", "--epochs", "30",
                 "--learning-rate", "0.01", "--out", str(model), "--quiet"]) == 0
    return model


def test_predict_uses_the_models_own_input_size(digits_model, tmp_path, capsys):
    """50 of the library's own 8x8 test digits, drawn large, dark on white, as a person would
    give them: through the 8x8 digits' preprocessing most come back right (through MNIST's,
    9 of 50 did)."""
    (_, _), (X, y) = nl.datasets.load_digits()
    capsys.readouterr()
    right = 0
    for k in range(50):
        path = tmp_path / f"{k}.png"
        Image.fromarray((255 - X[k].reshape(8, 8) * 255).astype(np.uint8)).resize(
            (64, 64), Image.NEAREST).save(path)
        assert main(["predict", str(digits_model), str(path)]) == 0
        right += f"predicted class: {y[k]}\n" in capsys.readouterr().out
    assert right >= 40, right


def test_predict_show_saves_what_the_network_saw(digits_model, tmp_path, capsys):
    path = tmp_path / "one.png"
    Image.fromarray((255 - _digit_28() * 255).astype(np.uint8)).save(path)
    seen = tmp_path / "seen.png"
    assert main(["predict", str(digits_model), str(path), "--show", str(seen)]) == 0
    out = capsys.readouterr().out
    assert f"what the network saw (8x8, 8x8 digits style, enlarged): {seen}" in out
    shown = np.asarray(Image.open(seen).convert("L"), dtype=np.float64) / 255
    assert shown.shape[0] >= 140 and shown.shape[0] % 8 == 0
    factor = shown.shape[0] // 8
    np.testing.assert_allclose(shown[::factor, ::factor], load_digit_image(path, size=8),
                               atol=1 / 255 + 1e-6)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as info:
        main(["predict", str(digits_model), str(path), "--show", str(blocker / "x.png")])
    assert info.value.code == 2


def test_predict_one_output_model_prints_both_classes(tmp_path, capsys):
    net = nl.Network([nl.Dense(784, 1, activation="sigmoid")], loss="binary_cross_entropy",
                     seed=0)
    model = tmp_path / "m.safetensors"
    net.save(model)
    path = tmp_path / "d.png"
    Image.fromarray((_digit_28() * 255).astype(np.uint8)).save(path)
    assert main(["predict", str(model), str(path)]) == 0
    out = capsys.readouterr().out
    assert "probabilities: 0: " in out and " 1: " in out


def test_save_image_is_atomic_and_checked(tmp_path):
    save_image(np.eye(8), tmp_path / "e.png")
    assert Image.open(tmp_path / "e.png").size == (144, 144)
    with pytest.raises(NeuronalError, match="one 2-D image"):
        save_image(np.zeros((2, 2, 2)), tmp_path / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.png"]
    with pytest.raises(NeuronalError, match=r"cannot save the image to '.*e\.png/x\.png': "
                       r"'.*e\.png' is a file, not a folder; choose a writable folder"):
        save_image(np.eye(8), tmp_path / "e.png" / "x.png")
