// The set-up: one object holding every control, kept in the page's URL (after the #) so that a
// shared URL gives the same set-up back. Form controls write into it; the network view edits
// its features, layers and activations.

const LISTS = ['features', 'layers', 'activations', 'csv_features'];
const NUMBERS = ['noise', 'ratio', 'points', 'classes', 'data_seed', 'dropout', 'lr',
  'schedule_epochs', 'reg_rate', 'batch', 'seed', 'mnist_train'];
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5];
const DATASET_NAMES = {
  circle: 'circle', xor: 'XOR', gauss: 'gaussian blobs', spiral: 'spiral', moons: 'moons',
  plane: 'plane (regression)', multi_gauss: 'multi-gauss (regression)',
  csv: 'uploaded CSV', mnist: 'MNIST digits',
};
const $ = (id) => document.getElementById(id);

function options(select, values, label = (v) => String(v)) {
  select.innerHTML = values.map((v) => `<option value="${v}">${label(v)}</option>`).join('');
}

// Fill the selects from the server's /api/info.
export function buildControls(info) {
  options($('dataset'), [...Object.keys(info.plane_sets), 'csv', 'mnist'],
    (v) => DATASET_NAMES[v] || v);
  const mnist = $('dataset').querySelector('option[value=mnist]');
  if (!info.mnist.available) { mnist.disabled = true; mnist.textContent += ' (not available)'; }
  $('mnist-status').textContent = info.mnist.short;
  $('mnist-status').title = info.mnist.message;
  $('dataset').querySelector('option[value=csv]').disabled = true; // until a file is uploaded
  options($('lr'), LEARNING_RATES);
  options($('reg_rate'), REG_RATES);
  options($('dropout'), DROPOUTS);
  $('points').max = info.limits.max_points;
  $('batch').max = Math.min(info.limits.max_batch, 256);
  $('mnist_train').max = info.limits.max_mnist_train;
  if (!info.onnx) {
    $('onnx').title = 'ONNX export is unavailable in this version of neuronal';
  }
}

export function lossOptions(problem) {
  return problem === 'regression' ? ['mse', 'mae'] : ['cross_entropy', 'mse'];
}

// Put a set-up's values into the form controls.
export function showSetup(setup) {
  const plane = !['csv', 'mnist'].includes(setup.dataset);
  options($('loss'), lossOptions(setup.problem),
    (v) => ({ cross_entropy: 'cross-entropy', mse: 'mean squared error', mae: 'mean absolute error' })[v]);
  for (const key of ['dataset', 'optimizer', 'schedule', 'reg', 'problem', 'loss']) {
    $(key).value = setup[key];
  }
  for (const key of ['lr', 'reg_rate', 'dropout']) {
    const sel = $(key);
    if (![...sel.options].some((o) => Number(o.value) === setup[key])) {
      sel.insertAdjacentHTML('beforeend', `<option value="${setup[key]}">${setup[key]}</option>`);
    }
    sel.value = [...sel.options].find((o) => Number(o.value) === setup[key]).value;
  }
  for (const key of ['noise', 'ratio', 'points', 'classes', 'batch', 'seed', 'schedule_epochs',
    'mnist_train']) $(key).value = setup[key];
  $('ratio-value').textContent = setup.ratio;
  $('noise-value').textContent = setup.noise;
  $('batch-value').textContent = setup.batch;
  $('plane-controls').hidden = !plane;
  $('mnist-controls').hidden = setup.dataset !== 'mnist';
  $('classes-label').hidden = !['spiral', 'gauss'].includes(setup.dataset);
  $('problem').disabled = setup.dataset !== 'csv';
  $('schedule_epochs').disabled = setup.schedule === 'none';
  $('reg_rate').disabled = setup.reg === 'none';
}

// Read the form controls into the set-up (features, layers and activations are kept).
export function readControls(setup) {
  const s = { ...setup };
  for (const key of ['dataset', 'optimizer', 'schedule', 'reg', 'problem', 'loss']) {
    s[key] = $(key).value;
  }
  for (const key of ['lr', 'reg_rate', 'dropout', 'noise', 'ratio', 'points', 'classes', 'batch',
    'seed', 'schedule_epochs', 'mnist_train']) {
    const v = Number($(key).value);
    if (Number.isFinite(v)) s[key] = v;
  }
  if (s.problem !== setup.problem || !lossOptions(s.problem).includes(s.loss)) {
    s.loss = lossOptions(s.problem)[0];
  }
  return s;
}

export function toHash(setup) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(setup)) {
    if (k.startsWith('csv_') && setup.dataset !== 'csv') continue;
    if (k === 'mnist_train' && setup.dataset !== 'mnist') continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  return '#' + p.toString();
}

export function fromHash(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s = {};
  for (const [k, v] of p.entries()) {
    if (LISTS.includes(k)) s[k] = v ? v.split(',') : [];
    else if (NUMBERS.includes(k)) s[k] = Number(v);
    else s[k] = v;
  }
  if (s.layers) s.layers = s.layers.map(Number);
  return s;
}

export function writeHash(setup) {
  const hash = toHash(setup);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
