// The network drawn as TensorFlow Playground does: a column of inputs, one column per layer,
// every neuron a small heatmap of its output over the plane (MNIST: the first layer's neurons
// as 28 x 28 images of their weights), edges coloured by sign and sized by weight. Click an
// edge or a bias square to edit it; click a neuron to see its arithmetic; click an input
// feature to switch it on or off.
import { colourOf, decode, drawImage28, drawMap } from './draw.js';

const SVG = 'http://www.w3.org/2000/svg';
const TOP = 56; // room for the layer headers

function nodeSize(n, pixels) {
  if (pixels) return n <= 10 ? 34 : 28;
  return n <= 8 ? 40 : n <= 12 ? 32 : 26;
}

export class NetworkView {
  constructor(root, handlers) {
    this.root = root; this.h = handlers;
    this.svg = root.querySelector('#edges'); this.nodesEl = root.querySelector('#nodes');
    this.model = null; this.animating = false; this.selected = null; this.lastFrame = null;
  }

  // Lay out and create every node, header and edge for a new model.
  build(model, setup, allFeatures) {
    this.model = model; this.setup = setup;
    this.svg.innerHTML = ''; this.nodesEl.innerHTML = '';
    const pixels = model.pixels, L = model.layers.length;
    let inputs;
    if (pixels) inputs = [{ name: '784 pixels', on: true, index: 0 }];
    else if (allFeatures && !['csv'].includes(setup.dataset)) {
      let k = 0;
      inputs = allFeatures.map((name) => {
        const on = model.inputs.includes(name);
        return { name, on, index: on ? k++ : -1 };
      });
    } else inputs = model.inputs.map((name, i) => ({ name, on: true, index: i }));
    // columns: inputs, then each Dense layer (pixel mode: the first one may wrap in sub-columns)
    const cols = [{ kind: 'input', count: inputs.length }];
    model.layers.forEach((layer, k) => cols.push({ kind: k === L - 1 ? 'output' : 'hidden',
      count: layer.neurons, layer: k }));
    const width = Math.max(560, this.root.clientWidth || 700);
    // MNIST's first layer: weight images in sub-columns of 8 (more for very wide layers)
    const images = (i) => pixels && i === 1 && cols[1].kind === 'hidden';
    const sizes = cols.map((c, i) => (i === 0 ? (pixels ? 84 : 40)
      : images(i) ? (c.count <= 32 ? 40 : 28) : nodeSize(c.count, pixels)));
    const perCol = cols.map((c, i) => (images(i) ? Math.max(8, Math.ceil(c.count / 6)) : 1e9));
    const wraps = cols.map((c, i) => Math.ceil(c.count / perCol[i]));
    const spans = sizes.map((s, i) => s * wraps[i] + 10 * (wraps[i] - 1));
    const free = width - 190 - spans.reduce((a, b) => a + b, 0); // room for labels both sides
    const gap = Math.max(40, free / Math.max(1, cols.length - 1));
    let x = 90, maxBottom = 0;
    this.cols = cols.map((c, ci) => {
      const s = sizes[ci], rows = Math.min(c.count, perCol[ci]), step = s + 10;
      const nodes = [];
      for (let j = 0; j < c.count; j++) {
        const sub = Math.floor(j / perCol[ci]), r = j % perCol[ci];
        const nx = x + sub * (s + 10), ny = TOP + r * step;
        nodes.push({ x: nx, y: ny, s });
        maxBottom = Math.max(maxBottom, ny + s);
      }
      const col = { ...c, x, s, nodes, rows, right: x + spans[ci] };
      x += spans[ci] + gap;
      return col;
    });
    this.root.style.height = `${maxBottom + 30}px`;
    this.svg.setAttribute('width', width); this.svg.setAttribute('height', maxBottom + 30);
    this.inputs = inputs;
    this._headers(model, setup);
    this._nodes(model, inputs);
    this._edges(model, inputs);
  }

  _headers(model, setup) {
    const L = model.layers.length;
    this.cols.forEach((col, ci) => {
      const head = document.createElement('div');
      head.className = 'layer-head';
      head.style.left = `${col.x - 30}px`; head.style.top = '0px';
      head.style.width = `${col.s + 60}px`;
      if (col.kind === 'input') head.innerHTML = model.pixels ? 'input' : 'features';
      else if (col.kind === 'output') {
        head.innerHTML = `output<br>${model.layers[L - 1].activation}`;
      } else {
        const k = col.layer;
        head.innerHTML = `<button data-add="${k}" title="add a neuron">+</button>` +
          `<button data-remove="${k}" title="remove a neuron">&minus;</button><br>` +
          `<span>${col.count} neuron${col.count > 1 ? 's' : ''}</span><br>` +
          `<select data-activation="${k}" title="this layer's activation"></select>`;
        const sel = head.querySelector('select');
        sel.innerHTML = this.h.activations.map((a) => `<option>${a}</option>`).join('');
        sel.value = setup.activations[k];
        sel.onchange = () => this.h.setActivation(k, sel.value);
        head.querySelector('[data-add]').onclick = () => this.h.addNeurons(k, +1);
        head.querySelector('[data-remove]').onclick = () => this.h.addNeurons(k, -1);
      }
      this.nodesEl.appendChild(head);
    });
  }

  _nodes(model, inputs) {
    this.cols.forEach((col, ci) => col.nodes.forEach((n, j) => {
      const el = document.createElement('div');
      el.className = 'node' + (col.kind === 'input' ? ' input' : '');
      Object.assign(el.style, { left: `${n.x}px`, top: `${n.y}px`, width: `${n.s}px`,
        height: `${n.s}px` });
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = model.pixels && ci <= 1 ? 28 : model.grid;
      el.appendChild(canvas); n.el = el; n.canvas = canvas;
      if (col.kind === 'input') {
        const input = inputs[j];
        el.dataset.feature = input.name;
        if (!input.on) el.classList.add('off');
        el.insertAdjacentHTML('beforeend', `<span class="label">${input.name}</span>`);
        el.title = input.on ? `${input.name} (click to switch off)` : `${input.name} (click to use)`;
        if (!model.pixels && this.setup.dataset !== 'csv') {
          el.onclick = () => this.h.toggleFeature(input.name);
        }
      } else {
        const k = col.layer;
        el.dataset.layer = k; el.dataset.neuron = j;
        el.title = `layer ${k}, neuron ${j}: click to see its arithmetic`;
        el.onclick = () => this.select(k, j);
        const bias = document.createElement('div');
        bias.className = 'bias'; bias.title = 'bias: click to edit';
        bias.dataset.layer = k; bias.dataset.neuron = j;
        bias.onclick = (ev) => {
          ev.stopPropagation();
          this.h.editParam({ layer: k, neuron: j, input: null, value: n.bias ?? 0 }, ev);
        };
        el.appendChild(bias); n.bias_el = bias;
        if (col.kind === 'output' && model.classes > 2) {
          el.insertAdjacentHTML('beforeend', `<span class="value">${model.class_names[j]}</span>`);
        }
        if (model.pixels) el.insertAdjacentHTML('beforeend', '<span class="value"></span>');
      }
      this.nodesEl.appendChild(el);
    }));
    if (!model.pixels && model.feature_maps) {
      this.cols[0].nodes.forEach((n, j) => {
        const map = model.feature_maps[inputs[j].name];
        if (map) drawMap(n.canvas, decode(map), model.grid);
      });
    } else if (!model.pixels) {
      this.cols[0].nodes.forEach((n, j) => drawMap(n.canvas, decode(model.input_maps[j]), model.grid));
    }
  }

  _edges(model, inputs) {
    this.edges = []; // edges[k][j][i]: layer k, neuron j, input i
    model.layers.forEach((layer, k) => {
      const src = this.cols[k], dst = this.cols[k + 1], rows = [];
      const skip = model.pixels && k === 0; // 784 inputs: shown as weight images instead
      for (let j = 0; j < layer.neurons; j++) {
        const row = [];
        for (let i = 0; i < layer.inputs && !skip; i++) {
          const sIdx = k === 0 ? inputs.findIndex((f) => f.index === i) : i;
          const a = src.nodes[sIdx], b = dst.nodes[j];
          const x1 = model.pixels && k === 1 ? src.right : a.x + a.s, y1 = a.y + a.s / 2, x2 = b.x, y2 = b.y + b.s / 2, mx = (x1 + x2) / 2;
          const p = document.createElementNS(SVG, 'path');
          p.setAttribute('d', `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
          p.dataset.layer = k; p.dataset.neuron = j; p.dataset.input = i;
          p.addEventListener('click', (ev) => this.h.editParam(
            { layer: k, neuron: j, input: i, value: p.__w ?? 0 }, ev));
          const title = document.createElementNS(SVG, 'title');
          p.appendChild(title);
          p.addEventListener('mouseenter', () => { // the tooltip, written when it is wanted
            title.textContent = `weight ${(p.__w ?? 0).toPrecision(4)} (layer ${k}, neuron ${j}, input ${i}): click to edit`;
          });
          this.svg.appendChild(p); row.push(p);
        }
        rows.push(row);
      }
      this.edges.push(rows);
    });
  }

  select(layer, neuron) {
    if (this.selected) this.selected.el.classList.remove('selected');
    const node = this.cols[layer + 1].nodes[neuron];
    node.el.classList.add('selected');
    this.selected = { layer, neuron, el: node.el };
    this.h.selectNeuron(layer, neuron);
  }

  // Update heatmaps (or images), edges and biases from a frame.
  render(frame) {
    this.lastFrame = frame;
    const model = this.model;
    if (frame.maps) {
      frame.maps.forEach((maps, k) => maps.forEach((m, j) => {
        drawMap(this.cols[k + 1].nodes[j].canvas, decode(m), model.grid);
      }));
    }
    if (frame.images) {
      frame.images.forEach((m, j) => drawImage28(this.cols[1].nodes[j].canvas, decode(m)));
    }
    frame.weights.forEach((w, k) => this.cols[k + 1].nodes.forEach((n, j) => {
      n.bias = w.b[j];
      n.bias_el.style.background = colourOf(Math.max(-1, Math.min(1, w.b[j])));
      n.bias_el.title = `bias ${w.b[j].toPrecision(4)}: click to edit`;
    }));
    if (!this.animating) this._styleEdges(frame.weights);
  }

  _styleEdges(weights) {
    weights.forEach((w, k) => {
      if (!w.W) return;
      this.edges[k].forEach((row, j) => row.forEach((p, i) => {
        const v = w.W[j][i];
        p.__w = v;
        const stroke = colourOf(Math.max(-1, Math.min(1, v)));
        const width = Math.min(8, 0.6 + 1.6 * Math.abs(v)).toFixed(1);
        if (p.__stroke !== stroke) { p.setAttribute('stroke', stroke); p.__stroke = stroke; }
        if (p.__width !== width) { p.setAttribute('stroke-width', width); p.__width = width; }
        if (p.__plain !== true) {
          p.setAttribute('stroke-opacity', '0.8'); p.className.baseVal = ''; p.__plain = true;
        }
      }));
    });
  }

  // MNIST: activations of the drawn digit on every neuron (border shade), input image, outputs.
  showDigit(digit, pixels) {
    if (pixels) { // the input as MNIST sees it: white ink on black
      const ctx = this.cols[0].nodes[0].canvas.getContext('2d'), img = ctx.createImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const g = Math.round(pixels[i] * 255);
        img.data.set([g, g, g, 255], i * 4);
      }
      ctx.putImageData(img, 0, 0);
    }
    if (!digit) return;
    digit.activations.forEach((acts, k) => acts.forEach((a, j) => {
      const n = this.cols[k + 1].nodes[j];
      n.el.style.borderColor = colourOf(Math.max(-1, Math.min(1, a)));
      n.el.style.borderWidth = '3px';
      const v = n.el.querySelector('.value');
      if (v && this.cols[k + 1].count <= 16) v.textContent = a.toFixed(2);
      if (k > 0) drawMap(n.canvas, new Uint8Array(n.canvas.width ** 2).fill(
        Math.round((Math.max(-1, Math.min(1, a)) + 1) * 127.5)), n.canvas.width);
    }));
    const out = this.cols[this.cols.length - 1].nodes;
    digit.probabilities.forEach((p, j) => { // white (0) to blue (1)
      const n = out[j];
      if (this.cols.length > 2) { // (without hidden layers the outputs show their weight images)
        drawMap(n.canvas, new Uint8Array(n.canvas.width ** 2).fill(Math.round(127.5 + p * 127.5)), n.canvas.width);
      }
      n.el.querySelector('.value').textContent = `${j}: ${(100 * p).toFixed(0)}%`;
      n.el.style.outline = j === digit.prediction ? '3px solid #000' : '';
    });
  }

  // One backprop step: forward layer by layer, then backward, the weight changes shown in green
  // (strengthened) and red (weakened), the five largest of each kept highlighted.
  async animate(step) {
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    this.animating = true;
    try {
      for (const col of this.cols) {
        col.nodes.forEach((n) => n.el.classList.add('pulse'));
        await wait(220);
        col.nodes.forEach((n) => n.el.classList.remove('pulse'));
      }
      for (const ls of [...step.layers].reverse()) {
        const col = this.cols[ls.layer + 1];
        col.nodes.forEach((n) => n.el.classList.add('pulse'));
        if (ls.dW) {
          const peak = Math.max(1e-12, ...ls.dW.flat().map(Math.abs));
          this.edges[ls.layer].forEach((row, j) => row.forEach((p, i) => {
            const d = ls.dW[j][i];
            p.setAttribute('stroke', d >= 0 ? '#1a9c3b' : '#d22');
            p.setAttribute('stroke-width', (0.5 + 5 * Math.abs(d) / peak).toFixed(2));
            p.__stroke = p.__width = null;
          }));
        }
        await wait(450);
        col.nodes.forEach((n) => n.el.classList.remove('pulse'));
      }
      if (this.lastFrame) this._styleEdges(this.lastFrame.weights);
      for (const [list, cls] of [[step.strengthened, 'hot-pos'], [step.weakened, 'hot-neg']]) {
        for (const c of list) {
          const p = this.edges[c.layer] && this.edges[c.layer][c.neuron] &&
            this.edges[c.layer][c.neuron][c.input];
          if (p) { p.className.baseVal = cls; p.__plain = false; }
        }
      }
      await wait(2500);
    } finally {
      this.animating = false;
      if (this.lastFrame) this._styleEdges(this.lastFrame.weights);
    }
  }
}
