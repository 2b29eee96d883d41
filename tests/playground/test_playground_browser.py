"""The playground in a real browser: headless Chromium driven by Playwright.

Each test opens the page in a new tab (a browser context of its own, so its own session) of a
server started as ``python -m neuronal playground``, and does what a teacher would: press play
and watch the test loss fall, step once, edit a weight, draw a digit, upload a bad CSV file,
share the URL, run one backprop step, save and load the model.
"""

from __future__ import annotations

import json
import time

import pytest

import neuronal as nl
from neuronal.playground.models import onnx_available

pytestmark = pytest.mark.slow

STATS = "window.__playground"


def stat(page, name):
    return page.evaluate(f"{STATS}.{name}")


def wait_frames_after(page, count: int, timeout: float = 15_000) -> None:
    page.wait_for_function(f"{STATS}.frames > {count}", timeout=timeout)


def canvas(page, element_id: str) -> str:
    return page.evaluate(f"document.getElementById('{element_id}').toDataURL()")


def test_play_makes_the_test_loss_fall(open_page):
    page = open_page("#dataset=circle&lr=0.1&layers=4,2")
    first = float(page.text_content("#test-loss"))
    page.click("#play")
    page.wait_for_function(f"{STATS}.epoch >= 40", timeout=30_000)
    page.click("#play")
    page.wait_for_function("!window.__app.playing")
    last = float(page.text_content("#test-loss"))
    assert last < 0.7 * first, (first, last)
    assert int(page.text_content("#epoch").replace(",", "")) >= 40
    assert int(page.text_content("#rate")) > 1  # several training steps between two updates
    assert page.js_errors == [] and stat(page, "errors") == []


def test_step_trains_one_epoch(open_page):
    page = open_page("#dataset=spiral&layers=8,8&points=400&batch=10")
    assert page.text_content("#epoch") == "000,000"
    frames = stat(page, "frames")
    page.click("#step")
    wait_frames_after(page, frames)
    page.wait_for_function(f"{STATS}.epoch === 1")
    assert page.text_content("#epoch") == "000,001"
    assert stat(page, "steps") == page.evaluate("window.__app.model.steps_per_epoch") == 20


def test_editing_a_weight_or_a_bias_changes_the_heatmap(open_page):
    page = open_page("#dataset=circle")
    before = canvas(page, "output-canvas")
    frames = stat(page, "frames")
    page.locator("#edges path[data-layer='1'][data-neuron='0'][data-input='1']").dispatch_event(
        "click")
    assert page.is_visible("#weight-editor")
    assert "layer 1, neuron 0, input 1" in page.text_content("#weight-label")
    page.fill("#weight-input", "4")
    page.press("#weight-input", "Enter")
    wait_frames_after(page, frames)
    assert stat(page, "weights")[1]["W"][0][1] == 4.0
    after = canvas(page, "output-canvas")
    assert after != before
    edge = "#edges path[data-layer='1'][data-neuron='0'][data-input='1']"
    page.locator(edge).dispatch_event("mouseenter")  # its tooltip
    title = page.text_content(f"{edge} title")
    assert title.startswith("weight 4.000")
    frames = stat(page, "frames")
    page.click(".bias[data-layer='2'][data-neuron='0']")
    page.fill("#weight-input", "-3")
    page.click("#weight-ok")
    wait_frames_after(page, frames)
    assert stat(page, "weights")[2]["b"][0] == -3.0
    assert canvas(page, "output-canvas") != after


def test_a_neurons_arithmetic_at_the_point_under_the_mouse(open_page):
    page = open_page("#dataset=xor&layers=3")
    page.click(".node[data-layer='0'][data-neuron='2']")
    box = page.locator("#points-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    page.wait_for_function(  # x1 = +3, x2 = +3 there
        "document.getElementById('explain').textContent.includes('at point (3')")
    text = page.text_content("#explain")
    assert text.startswith("layer 0, neuron 2 (layer.neurons[2]) at point (3")
    assert "Neuron with 2 inputs (x0, x1), activation tanh" in text
    assert "a = tanh(z) = tanh(" in text


def test_draw_a_digit_and_read_the_prediction(open_page, playground):
    info = json.loads(open_page().evaluate("JSON.stringify(window.__app.info.mnist)"))
    if not info["available"]:
        pytest.skip("MNIST not available locally")
    page = open_page("#dataset=mnist&layers=32&activations=relu&lr=0.1&batch=32"
                     "&mnist_train=3000")
    assert page.is_visible("#pad") and page.is_hidden("#plane-output")
    for epoch in (1, 2, 3):
        page.click("#step")
        page.wait_for_function(f"{STATS}.epoch === {epoch}", timeout=30_000)
    box = page.locator("#pad").bounding_box()
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for k in range(1, 21):  # a vertical stroke: a one
        page.mouse.move(x + k * 0.4, box["y"] + box["height"] * (0.15 + 0.035 * k))
    page.mouse.up()
    page.wait_for_function(f"{STATS}.prediction !== undefined && {STATS}.prediction !== null")
    assert page.text_content("#prediction") == "1"
    bars = page.locator("#probabilities .bar")
    assert bars.count() == 10
    weights_images = page.locator(".node[data-layer='0'] canvas")
    assert weights_images.count() == 32


def test_a_malformed_csv_gets_a_clear_message(open_page):
    page = open_page()
    page.set_input_files("#csv-file", files=[{
        "name": "bad.csv", "mimeType": "text/csv",
        "buffer": b"height,weight,label\n1.7,60,0\n1.8,90\n"}])
    page.wait_for_selector("#message:not([hidden])")
    message = page.text_content("#message")
    assert message == ("the CSV file 'bad.csv', line 3: 2 fields but the header has 3; every "
                       "row needs one value per column")
    rows = "".join(f"{1.5 + (i % 9) * 0.05:.2f},{50 + (i * 7) % 60},{int(i % 3 == 0)}\n"
                   for i in range(60))
    page.set_input_files("#csv-file", files=[{
        "name": "people.csv", "mimeType": "text/csv",
        "buffer": ("height,weight,label\n" + rows).encode()}])
    page.wait_for_selector("#csv-panel:not([hidden])")
    assert page.is_hidden("#message")
    models = stat(page, "models")
    page.click("#csv-use")
    page.wait_for_function(f"{STATS}.models > {models}")
    assert page.evaluate("window.__app.setup.dataset") == "csv"
    assert page.text_content("#axis-x") == "height"
    page.click("#step")
    page.wait_for_function(f"{STATS}.epoch === 1")


def test_the_shared_url_gives_the_same_setup_back(open_page):
    page = open_page()
    models = stat(page, "models")
    page.select_option("#dataset", "spiral")
    page.wait_for_function(f"{STATS}.models > {models}")
    steps = [lambda: page.click("#add-layer"),
             lambda: page.select_option("#lr", "0.1"),
             lambda: page.click(".node[data-feature='sin(x1)']"),
             lambda: page.select_option("select[data-activation='0']", "relu"),
             lambda: page.click(".layer-head button[data-add='1']"),
             lambda: page.select_option("#optimizer", "adam")]
    for act in steps:
        models = stat(page, "models")
        act()
        page.wait_for_function(f"{STATS}.models > {models}")
    setup = page.evaluate("window.__app.setup")
    assert setup["layers"] == [4, 3, 4] and setup["features"] == ["x1", "x2", "sin(x1)"]
    assert (setup["dataset"], setup["lr"], setup["optimizer"]) == ("spiral", 0.1, "adam")
    assert setup["activations"] == ["relu", "tanh", "tanh"]
    url = page.url
    assert "dataset=spiral" in url and "layers=4%2C3%2C4" in url
    other = open_page(url[url.index("#"):])
    assert other.evaluate("window.__app.setup") == setup
    assert other.text_content("#shape") == page.text_content("#shape")
    assert other.evaluate(f"{STATS}.weights") == page.evaluate(f"{STATS}.weights")  # seeded
    # the two tabs are two sessions: training one leaves the other where it was
    page.click("#step")
    page.wait_for_function(f"{STATS}.epoch === 1")
    time.sleep(0.3)
    assert other.evaluate(f"{STATS}.epoch") == 0
    assert other.text_content("#epoch") == "000,000"


def test_one_backprop_step_is_animated(open_page):
    page = open_page("#dataset=xor&layers=4")
    weights = stat(page, "weights")
    page.click("#backprop")
    page.wait_for_function(f"{STATS}.backprop !== undefined")
    text = page.text_content("#step-text")
    assert text.startswith("One training step on 1 sample") and "Backpropagation" in text
    page.wait_for_selector("#edges path.hot-pos", timeout=10_000)
    assert page.locator("#edges path.hot-neg").count() >= 1
    step = stat(page, "backprop")
    c = step["strengthened"][0]
    after = stat(page, "weights")[c["layer"]]["W"][c["neuron"]][c["input"]]
    before = weights[c["layer"]]["W"][c["neuron"]][c["input"]]
    assert abs(after - (before + c["change"])) < 1e-4


def test_save_and_load_the_model(open_page, tmp_path):
    page = open_page("#dataset=gauss&layers=5&activations=relu")
    with page.expect_download() as download:
        page.click("#save")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "playground-2x5x1.safetensors" and nl.load(path).shape == "2x5x1"
    other = open_page("#dataset=gauss&layers=2,2")
    models = stat(other, "models")
    other.set_input_files("#model-file", str(path))
    other.wait_for_function(f"{STATS}.models > {models}")
    other.wait_for_function("document.getElementById('message').textContent.startsWith('loaded')")
    assert other.text_content("#message") == (
        "loaded playground-2x5x1.safetensors: network 2x5x1")
    assert other.evaluate("window.__app.setup.layers") == [5]
    saved = page.evaluate(f"{STATS}.weights")
    # the loaded network's weights reach the page in the frame after the message
    other.wait_for_function(
        f"(saved) => JSON.stringify({STATS}.weights) === JSON.stringify(saved)", arg=saved,
        timeout=10_000)
    assert other.evaluate(f"{STATS}.weights") == saved
    if onnx_available():
        with other.expect_download() as onnx:
            other.click("#onnx")
        assert onnx.value.suggested_filename.endswith(".onnx")
    else:
        other.click("#onnx")
        other.wait_for_function(
            "document.getElementById('message').textContent.includes('ONNX')")
        assert other.text_content("#message").startswith("ONNX export is unavailable")


def test_without_mnist_the_page_says_so_and_works(open_page, start_playground, tmp_path):
    empty = str(tmp_path)
    server = start_playground(env={"NEURONAL_DATA": empty, "XDG_CACHE_HOME": empty,
                                   "HOME": empty})
    page = open_page("#dataset=mnist", server=server)  # falls back to the circle
    assert "MNIST is not available here" in page.text_content("#message")
    assert "MNIST is not available here" in page.text_content("#mnist-status")
    option = page.locator("#dataset option[value=mnist]")
    assert option.is_disabled() and "(not available)" in option.text_content()
    assert page.evaluate("window.__app.setup.dataset") == "circle"
    page.click("#step")
    page.wait_for_function(f"{STATS}.epoch === 1")


def test_the_page_stays_live_while_training(open_page):
    """Frames keep coming with several training steps each (the rate: see benchmarks)."""
    page = open_page("#dataset=spiral&layers=8,8&features=x1,x2&noise=0")
    page.click("#play")
    page.wait_for_function(f"{STATS}.frames > 5")
    f0, s0 = stat(page, "frames"), stat(page, "steps")
    page.wait_for_function(f"{STATS}.frames > {f0 + 20}", timeout=30_000)
    f1, s1 = stat(page, "frames"), stat(page, "steps")
    assert (s1 - s0) / (f1 - f0) >= 5  # one epoch (20 steps) per update here
    page.click("#show-test")  # the page answers while it trains
    assert page.is_checked("#show-test")
    page.click("#play")
    page.wait_for_function("!window.__app.playing")
