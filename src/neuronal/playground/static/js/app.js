// The page: asks the server what it offers (/api/info), opens this tab's session (a WebSocket),
// sends the set-up (from the URL, or the defaults) and draws what comes back. While training,
// every frame is drawn on the next animation frame and then acknowledged, which lets the
// server send the next one: the page never falls behind and stays responsive.
import { buildControls, fromHash, readControls, showSetup, writeHash } from './controls.js';
import { drawClasses, drawConfusion, drawLossChart, drawMap, drawPoints, decode, planePoint } from './draw.js';
import { setupFiles } from './files.js';
import { NetworkView } from './network.js';
import { Pad, drawProbabilities } from './pad.js';

const $ = (id) => document.getElementById(id);
const fmt = (v) => (v === undefined || v === null || !Number.isFinite(v) ? '-' : v.toFixed(3));

// Counters read by the tests and by benchmarks/playground_fps.py.
const stats = window.__playground = { frames: 0, steps: 0, models: 0, errors: [], ready: false };

const app = {
  info: null, session: null, setup: null, model: null, ws: null, playing: false,
  curves: { train: [], test: [] }, point: null, marker: null, pending: null, lastSteps: 0,
  pixels: null,

  send(msg) { if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg)); },
  error(text) { stats.errors.push(text); const m = $('message'); m.className = 'message'; m.textContent = text; m.hidden = false; },
  info_(text) { const m = $('message'); m.className = 'message info'; m.textContent = text; m.hidden = false; },
  clearMessage() { $('message').hidden = true; },
  configure(setup) { this.clearMessage(); this.send({ type: 'setup', setup }); },
};
window.__app = app;

const view = new NetworkView($('net'), {
  activations: [],
  toggleFeature(name) {
    const f = app.setup.features.includes(name)
      ? app.setup.features.filter((x) => x !== name) : [...app.setup.features, name];
    if (!f.length) { app.error('keep at least one input feature'); return; }
    app.configure({ ...app.setup, features: f });
  },
  addNeurons(k, d) {
    const layers = [...app.setup.layers], top = app.model.pixels
      ? app.info.limits.max_mnist_neurons : app.info.limits.max_neurons;
    layers[k] = Math.max(1, Math.min(top, layers[k] + d));
    app.configure({ ...app.setup, layers });
  },
  setActivation(k, a) {
    const activations = [...app.setup.activations]; activations[k] = a;
    app.configure({ ...app.setup, activations });
  },
  selectNeuron(layer, neuron) { explainNow(); },
  editParam(target, ev) { openEditor(target, ev); },
});

function explainNow() {
  if (!view.selected) return;
  const { layer, neuron } = view.selected;
  if (app.model.pixels) {
    if (!app.pixels) { $('explain').textContent = 'Draw a digit on the pad: the arithmetic is shown for it.'; return; }
    app.send({ type: 'explain', layer, neuron });
  } else app.send({ type: 'explain', layer, neuron, point: app.point || [0, 0] });
}

let explainTimer = null;
function explainSoon() {
  if (explainTimer) return;
  explainTimer = setTimeout(() => { explainTimer = null; explainNow(); }, 80);
}

function openEditor(target, ev) {
  const ed = $('weight-editor');
  const what = target.input === null ? `bias of layer ${target.layer}, neuron ${target.neuron}`
    : `weight: layer ${target.layer}, neuron ${target.neuron}, input ${target.input}`;
  $('weight-label').textContent = what + ' = ';
  $('weight-input').value = Number(target.value).toPrecision(4);
  ed.style.left = `${ev.pageX + 8}px`; ed.style.top = `${ev.pageY + 8}px`;
  ed.hidden = false; ed.target = target;
  $('weight-input').focus(); $('weight-input').select();
}

function applyEditor() {
  const ed = $('weight-editor'), t = ed.target, v = Number($('weight-input').value);
  ed.hidden = true;
  if (!t || !Number.isFinite(v)) { app.error('a weight must be a number'); return; }
  app.send({ type: 'set_weight', layer: t.layer, neuron: t.neuron, input: t.input, value: v });
}

function drawPlane() {
  if (app.model && !app.model.pixels) {
    drawPoints($('points-canvas'), app.model, $('show-test').checked, app.marker);
  }
}

function onModel(m) {
  stats.models += 1;
  app.model = m; app.setup = m.setup; app.curves = { train: [], test: [] };
  app.marker = null; view.selected = null;
  showSetup(m.setup); writeHash(m.setup);
  view.build(m, m.setup, app.info.features);
  $('layer-count').textContent = `${m.setup.layers.length} hidden layer${m.setup.layers.length === 1 ? '' : 's'}`;
  $('shape').textContent = `${m.shape}: ${m.n_params.toLocaleString()} weights and biases, loss ${m.loss}`;
  $('summary').textContent = `${m.summary}\n\noptimizer: ${m.optimizer}\n${m.train_size} training and ${m.test_size} test samples, ${m.steps_per_epoch} steps per epoch`;
  $('notes').textContent = (m.notes || []).join(' ');
  $('mnist-status').hidden = app.info.mnist.available && !m.pixels;
  $('pad-area').hidden = !m.pixels;
  $('plane-output').hidden = m.pixels;
  $('digit-output').hidden = !m.pixels;
  $('show-test').parentElement.hidden = m.pixels;
  $('accuracy-box').hidden = m.problem !== 'classification';
  $('confusion-box').hidden = m.problem !== 'classification';
  $('axis-x').textContent = m.pixels ? '' : m.axis_names[0];
  $('axis-y').textContent = m.pixels ? '' : m.axis_names[1];
  $('explain').textContent = m.pixels ? 'Click a neuron, then draw a digit.' : 'Click a neuron, then point at the output map.';
  drawPlane();
  if (m.pixels && app.pixels) app.send({ type: 'draw', pixels: app.pixels });
}

const PLAY = '<svg viewBox="0 0 20 20"><path d="M5 3 L17 10 L5 17 Z"/></svg>';
const PAUSE = '<svg viewBox="0 0 20 20"><rect x="4" y="3" width="4" height="14"/><rect x="12" y="3" width="4" height="14"/></svg>';
function showPlaying() {
  $('play').classList.toggle('playing', app.playing);
  $('play').innerHTML = app.playing ? PAUSE : PLAY;
  $('play').title = app.playing ? 'pause' : 'train (play)';
}

function renderFrame(f) {
  const m = app.model;
  $('epoch').textContent = String(f.epoch).padStart(6, '0').replace(/(\d{3})(\d{3})$/, '$1,$2');
  $('lr-now').textContent = Number(f.learning_rate.toPrecision(3)).toString();
  const metrics = f.metrics;
  $('test-loss').textContent = fmt(metrics.test_loss);
  $('train-loss').textContent = fmt(metrics.train_loss);
  $('test-accuracy').textContent = metrics.test_accuracy === undefined ? '-' : `${(100 * metrics.test_accuracy).toFixed(1)}%`;
  $('train-accuracy').textContent = metrics.train_accuracy === undefined ? '-' : `${(100 * metrics.train_accuracy).toFixed(1)}%`;
  const c = app.curves;
  c.train.push(metrics.train_loss); c.test.push(metrics.test_loss);
  if (c.train.length > 2000) { c.train = c.train.filter((_, i) => i % 2); c.test = c.test.filter((_, i) => i % 2); }
  drawLossChart($('loss-chart'), c.train, c.test);
  drawConfusion($('confusion'), metrics.confusion, m.class_names);
  view.render(f);
  if (f.output) {
    const out = $('output-canvas');
    if (f.output.kind === 'classes') drawClasses(out, decode(f.output.class), decode(f.output.map), m.output_grid, m.classes);
    else drawMap(out, decode(f.output.map), m.output_grid);
  }
  if (m.pixels) showDigit(f.digit);
  const steps = f.steps - app.lastSteps;
  app.lastSteps = f.steps;
  if (app.playing && steps > 0) $('rate').textContent = String(steps);
  stats.frames += 1; stats.steps = f.steps; stats.epoch = f.epoch; stats.metrics = metrics;
  stats.weights = f.weights;
}

function showDigit(digit) {
  view.showDigit(digit, app.pixels);
  drawProbabilities($('probabilities'), digit);
  $('prediction').textContent = digit ? String(digit.prediction) : '-';
  stats.prediction = digit ? digit.prediction : null;
}

function onFrame(f) {
  const first = app.pending === null;
  app.pending = f;
  if (!first) return;
  requestAnimationFrame(() => {
    const frame = app.pending; app.pending = null;
    const t = performance.now();
    if (app.model) renderFrame(frame);
    stats.renderMs = 0.9 * (stats.renderMs || 0) + 0.1 * (performance.now() - t);
    app.send({ type: 'ack' });
  });
}

async function onBackprop(s) {
  stats.backprop = s;
  $('step-text').textContent = s.text;
  if (s.point) { app.marker = s.point; drawPlane(); }
  await view.animate(s);
}

const handlers = {
  hello(m) { app.session = m.session; app.configure(app.setup); },
  model: onModel,
  frame: onFrame,
  state(m) { app.playing = m.playing; showPlaying(); },
  reset() { app.curves = { train: [], test: [] }; app.lastSteps = 0; },
  error(m) {
    app.error(m.message);
    if (!app.model && !m.fatal && app.setup.dataset !== 'circle') {
      app.setup = { ...app.info.defaults, ...app.setup, dataset: 'circle' }; // e.g. a CSV URL
      app.send({ type: 'setup', setup: app.setup });
    }
  },
  explanation(m) { $('explain').textContent = m.text; stats.explanation = m.text; },
  digit(m) { showDigit(m.digit); },
  backprop: onBackprop,
};

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  app.ws = ws;
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    const h = handlers[m.type];
    if (h) h(m);
  };
  ws.onclose = () => {
    app.error('The connection to the playground server is closed (server stopped, or too many pages open). Reload the page to start again.');
    $('play').disabled = true;
  };
}

function wire() {
  const change = () => app.configure(readControls(app.setup));
  for (const id of ['dataset', 'optimizer', 'schedule', 'reg', 'reg_rate', 'dropout', 'loss',
    'problem', 'lr', 'seed', 'points', 'classes', 'schedule_epochs', 'mnist_train']) {
    $(id).addEventListener('change', change);
  }
  for (const id of ['ratio', 'noise', 'batch']) {
    $(id).addEventListener('input', () => { $(`${id}-value`).textContent = $(id).value; });
    $(id).addEventListener('change', change);
  }
  $('play').onclick = () => app.send({ type: app.playing ? 'pause' : 'play' });
  $('step').onclick = () => app.send({ type: 'step' });
  $('reset').onclick = () => app.send({ type: 'reset' });
  $('backprop').onclick = () => app.send({ type: 'explain_step' });
  $('regenerate').onclick = () => app.configure({ ...app.setup, data_seed: Math.floor(Math.random() * 1e6) });
  $('add-layer').onclick = () => {
    const s = app.setup;
    if (s.layers.length >= app.info.limits.max_hidden_layers) { app.error(`at most ${app.info.limits.max_hidden_layers} hidden layers`); return; }
    app.configure({ ...s, layers: [...s.layers, 4], activations: [...s.activations, s.activations[s.activations.length - 1] || 'tanh'] });
  };
  $('remove-layer').onclick = () => {
    const s = app.setup;
    if (!s.layers.length) return;
    app.configure({ ...s, layers: s.layers.slice(0, -1), activations: s.activations.slice(0, -1) });
  };
  $('show-test').onchange = drawPlane;
  $('weight-ok').onclick = applyEditor;
  document.addEventListener('mousedown', (e) => { // a click elsewhere closes the editor
    const ed = $('weight-editor');
    if (!ed.hidden && !ed.contains(e.target) && !e.target.closest('#edges path, .bias')) ed.hidden = true;
  });
  $('weight-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') applyEditor();
    if (e.key === 'Escape') $('weight-editor').hidden = true;
  });
  $('share').onclick = async () => {
    writeHash(app.setup);
    try { await navigator.clipboard.writeText(location.href); app.info_(`Copied the set-up's URL: ${location.href}`); } catch (e) { app.info_(`The set-up's URL: ${location.href}`); }
  };
  const pts = $('points-canvas');
  pts.addEventListener('mousemove', (e) => {
    if (!app.model || app.model.pixels) return;
    app.point = planePoint(pts, app.model, e);
    if (view.selected) { app.marker = app.point; drawPlane(); explainSoon(); }
  });
  app.pad = new Pad($('pad'), (pixels) => {
    app.pixels = pixels;
    app.send({ type: 'draw', pixels });
    if (view.selected) explainSoon();
  });
  $('pad-clear').onclick = () => { app.pad.clear(); app.pixels = null; };
  let resized = null;
  window.addEventListener('resize', () => { // lay the network out again for the new width
    clearTimeout(resized);
    resized = setTimeout(() => {
      if (!app.model) return;
      const frame = view.lastFrame;
      view.build(app.model, app.setup, app.info.features);
      if (frame) view.render(frame);
    }, 200);
  });
  setupFiles(app);
}

async function main() {
  const resp = await fetch('/api/info');
  app.info = await resp.json();
  view.h.activations = app.info.activations;
  buildControls(app.info);
  app.setup = { ...app.info.defaults, ...fromHash(location.hash) };
  wire();
  showPlaying();
  connect();
  stats.ready = true;
}

main();
