// MNIST's drawing pad: draw with the mouse (or a finger); the digit is prepared the way MNIST
// was (ink cropped, scaled into a 20 x 20 box, its centre of mass put at the centre of the
// 28 x 28 frame) and sent to the server, which answers with every layer's activations.

export class Pad {
  constructor(canvas, onDigit) {
    this.canvas = canvas; this.onDigit = onDigit; this.ctx = canvas.getContext('2d');
    this.drawing = false; this.last = null; this.timer = null;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true; this.last = this._pos(e); canvas.setPointerCapture(e.pointerId);
      this._line(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this._pos(e); this._line(this.last, p); this.last = p; this._soon();
    });
    const end = () => { if (this.drawing) { this.drawing = false; this.send(); } };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointerleave', end);
  }

  _pos(e) {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * this.canvas.width / r.width,
      (e.clientY - r.top) * this.canvas.height / r.height];
  }

  _line(a, b) {
    const c = this.ctx;
    c.strokeStyle = '#fff'; c.lineWidth = 20; c.lineCap = 'round'; c.lineJoin = 'round';
    c.beginPath(); c.moveTo(a[0], a[1]); c.lineTo(b[0], b[1]); c.stroke();
  }

  // Draw a stroke from code (tests, demos): points in pad pixels.
  stroke(points) {
    for (let i = 1; i < points.length; i++) this._line(points[i - 1], points[i]);
    this.send();
  }

  clear() {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  _soon() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.send(); }, 60);
  }

  send() {
    const pixels = this.pixels();
    if (pixels) this.onDigit(pixels);
  }

  // The 784 inputs (row by row, values in [0, 1]), or null for an empty pad.
  pixels() {
    const { width: w, height: h } = this.canvas;
    const data = this.ctx.getImageData(0, 0, w, h).data;
    let x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (data[(y * w + x) * 4] > 25) {
          if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1, scale = 20 / Math.max(bw, bh);
    const nw = Math.max(1, Math.round(bw * scale)), nh = Math.max(1, Math.round(bh * scale));
    const small = document.createElement('canvas');
    small.width = nw; small.height = nh;
    const sc = small.getContext('2d');
    sc.imageSmoothingEnabled = true; sc.imageSmoothingQuality = 'high';
    sc.drawImage(this.canvas, x0, y0, bw, bh, 0, 0, nw, nh);
    const sd = sc.getImageData(0, 0, nw, nh).data;
    let mass = 0, mr = 0, mc = 0;
    for (let r = 0; r < nh; r++) {
      for (let c = 0; c < nw; c++) {
        const v = sd[(r * nw + c) * 4] / 255;
        mass += v; mr += r * v; mc += c * v;
      }
    }
    mass = Math.max(mass, 1e-6);
    const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
    const top = clamp(Math.round(13.5 - mr / mass), 0, 28 - nh);
    const left = clamp(Math.round(13.5 - mc / mass), 0, 28 - nw);
    const out = new Float32Array(784);
    let peak = 0;
    for (let r = 0; r < nh; r++) {
      for (let c = 0; c < nw; c++) {
        const v = sd[(r * nw + c) * 4] / 255;
        out[(top + r) * 28 + left + c] = v; peak = Math.max(peak, v);
      }
    }
    return Array.from(out, (v) => (peak > 0 ? v / peak : 0));
  }
}

// The ten probabilities as bars.
export function drawProbabilities(el, digit) {
  if (!digit) { el.innerHTML = ''; return; }
  el.innerHTML = digit.probabilities.map((p, j) =>
    `<div class="bar"><span>${j}</span><i style="width:${(200 * p).toFixed(0)}px"></i>` +
    `<span>${(100 * p).toFixed(1)}%</span></div>`).join('');
}
