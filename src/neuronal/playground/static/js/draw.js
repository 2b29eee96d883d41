// Drawing: colour scale, heatmaps, data points, the loss chart, the confusion matrix.
// The server sends each map as base64 bytes: 0 is -1 (orange), 127.5 is 0 (white), 255 is +1
// (blue), row 0 at the top of the plane.

const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
export const CLASS_COLOURS = [
  [245, 147, 34], [8, 119, 189], [46, 160, 67], [155, 89, 182], [214, 39, 40], [140, 86, 75],
  [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

// 256 RGB entries: byte -> colour, orange through white to blue.
export const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 127.5 - 1, end = t < 0 ? NEG : POS, f = Math.abs(t);
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = MID[c] + (end[c] - MID[c]) * f;
  }
  return lut;
})();

export function decode(b64) {
  const s = atob(b64), out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function colourOf(value) { // value in [-1, 1] -> css colour
  const i = Math.max(0, Math.min(255, Math.round((value + 1) * 127.5)));
  return `rgb(${LUT[i * 3]},${LUT[i * 3 + 1]},${LUT[i * 3 + 2]})`;
}

// Draw a size x size map of bytes into a canvas (whose width/height are size).
export function drawMap(canvas, bytes, size) {
  if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
  const ctx = canvas.getContext('2d'), img = ctx.createImageData(size, size), d = img.data;
  for (let i = 0; i < size * size; i++) {
    const v = bytes[i] * 3;
    d[i * 4] = LUT[v]; d[i * 4 + 1] = LUT[v + 1]; d[i * 4 + 2] = LUT[v + 2]; d[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// Multi-class output: each cell in its class's colour, paler where the network is unsure.
export function drawClasses(canvas, classes, conf, size, k) {
  if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
  const ctx = canvas.getContext('2d'), img = ctx.createImageData(size, size), d = img.data;
  for (let i = 0; i < size * size; i++) {
    const col = CLASS_COLOURS[classes[i] % CLASS_COLOURS.length];
    const p = conf[i] / 255, f = Math.max(0, (p - 1 / k) / (1 - 1 / k)) * 0.8;
    for (let c = 0; c < 3; c++) d[i * 4 + c] = MID[c] + (col[c] - MID[c]) * f;
    d[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// A 28 x 28 weight image (bytes as for maps) into a canvas.
export function drawImage28(canvas, bytes) { drawMap(canvas, bytes, 28); }

function pointColour(label, model) {
  if (model.problem === 'regression') return colourOf(label);
  if (model.classes === 2) return colourOf(label ? 1 : -1);
  const c = CLASS_COLOURS[label % CLASS_COLOURS.length];
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// Data points on the overlay canvas (training points white-rimmed, test points black-rimmed).
export function drawPoints(canvas, model, showTest, marker) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const [[x0, x1], [y0, y1]] = model.bounds;
  const px = (x) => (x - x0) / (x1 - x0) * w, py = (y) => (y1 - y) / (y1 - y0) * h;
  const sets = [[model.train, '#fff']];
  if (showTest) sets.push([model.test, '#000']);
  for (const [pts, rim] of sets) {
    if (!pts) continue;
    for (let i = 0; i < pts.x.length; i++) {
      ctx.beginPath(); ctx.arc(px(pts.x[i]), py(pts.y[i]), 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = pointColour(pts.label[i], model); ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = rim; ctx.stroke();
    }
  }
  ctx.strokeStyle = 'rgba(0,0,0,.25)'; ctx.lineWidth = 1; ctx.beginPath();
  ctx.moveTo(px(0), 0); ctx.lineTo(px(0), h); ctx.moveTo(0, py(0)); ctx.lineTo(w, py(0));
  ctx.stroke();
  ctx.fillStyle = '#555'; ctx.font = '10px sans-serif';
  ctx.fillText(x0.toFixed(1), 2, h - 3); ctx.fillText(x1.toFixed(1), w - 24, h - 3);
  ctx.fillText(y1.toFixed(1), 2, 10);
  if (marker) { // the point being explained, or the sample of a backprop step
    ctx.beginPath(); ctx.arc(px(marker[0]), py(marker[1]), 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5; ctx.strokeStyle = '#000'; ctx.stroke();
  }
}

// Canvas pixel -> plane point.
export function planePoint(canvas, model, event) {
  const r = canvas.getBoundingClientRect(), [[x0, x1], [y0, y1]] = model.bounds;
  const fx = (event.clientX - r.left) / r.width, fy = (event.clientY - r.top) / r.height;
  return [x0 + fx * (x1 - x0), y1 - fy * (y1 - y0)];
}

// Training (grey) and test (black) loss over the updates.
export function drawLossChart(canvas, train, test) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const all = train.concat(test).filter(Number.isFinite);
  if (all.length < 2) return;
  const top = Math.max(...all) * 1.05 || 1, n = Math.max(train.length, test.length);
  for (const [series, colour] of [[train, '#999'], [test, '#000']]) {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    series.forEach((v, i) => {
      const x = i / Math.max(1, n - 1) * w, y = h - (v / top) * (h - 4);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

export function drawConfusion(el, cm, names) {
  if (!cm) { el.textContent = ''; return; }
  const k = cm.length;
  let html = '<table><tr><th></th>' + names.map((n) => `<th>${n}</th>`).join('') + '</tr>';
  for (let i = 0; i < k; i++) {
    const total = cm[i].reduce((a, b) => a + b, 0) || 1;
    html += `<tr><th>${names[i]}</th>`;
    for (let j = 0; j < k; j++) {
      const f = cm[i][j] / total, hue = i === j ? '8,119,189' : '245,147,34';
      html += `<td style="background:rgba(${hue},${f.toFixed(2)})">${cm[i][j]}</td>`;
    }
    html += '</tr>';
  }
  el.innerHTML = html + '</table>';
}
