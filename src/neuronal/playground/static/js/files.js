// Files: a CSV upload with its columns picked in the page, and the model saved, exported or
// loaded. Every failure is shown in the page's message box; the server keeps running.
const $ = (id) => document.getElementById(id);

async function readJson(resp) {
  try { return await resp.json(); } catch (e) { return { error: `the server answered ${resp.status}` }; }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function columnTable(table) {
  const target = table.columns[table.columns.length - 1].name;
  let html = `<table><tr><th>column</th><th>kind</th><th>input</th><th>target</th></tr>`;
  table.columns.forEach((c, i) => {
    const kind = c.numeric ? `number (${c.distinct} values)` : `text (${c.distinct} values)`;
    const isTarget = c.name === target;
    html += `<tr><td>${escapeHtml(c.name)}</td><td>${kind}</td>` +
      `<td><input type="checkbox" data-input="${i}" ${c.numeric && !isTarget ? 'checked' : ''} ${c.numeric ? '' : 'disabled'}></td>` +
      `<td><input type="radio" name="csv-target" data-target="${i}" ${isTarget ? 'checked' : ''}></td></tr>`;
  });
  return html + '</table>';
}

export function setupFiles(app) {
  let table = null;
  $('csv-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const limit = app.info.limits.max_upload_bytes;
    if (file.size > limit) {
      app.error(`the CSV file ${file.name} has ${file.size.toLocaleString()} bytes; the limit is ${limit.toLocaleString()}: upload a smaller file`);
      ev.target.value = '';
      return;
    }
    const resp = await fetch(`/api/session/${app.session}/csv?name=${encodeURIComponent(file.name)}`,
      { method: 'POST', body: file, headers: { 'Content-Type': 'text/csv' } });
    const json = await readJson(resp);
    ev.target.value = '';
    if (!resp.ok) { app.error(json.error); $('csv-panel').hidden = true; return; }
    table = json;
    app.clearMessage();
    $('csv-info').textContent = `${json.name}: ${json.rows} rows, ${json.columns.length} columns. Tick the inputs, pick the target.`;
    $('csv-columns').innerHTML = columnTable(json);
    $('csv-panel').hidden = false;
    $('dataset').querySelector('option[value=csv]').disabled = false;
  });
  $('csv-use').addEventListener('click', () => {
    if (!table) return;
    const inputs = [...document.querySelectorAll('#csv-columns [data-input]')]
      .filter((c) => c.checked).map((c) => table.columns[Number(c.dataset.input)].name);
    const t = document.querySelector('#csv-columns [data-target]:checked');
    const target = t ? table.columns[Number(t.dataset.target)] : null;
    if (!target) { app.error('pick the column to predict (the target)'); return; }
    const problem = !target.numeric || target.distinct <= 10 ? 'classification' : 'regression';
    app.configure({ ...app.setup, dataset: 'csv', csv_features: inputs.filter((n) => n !== target.name),
      csv_target: target.name, problem, features: [] });
  });

  async function download(kind) {
    const resp = await fetch(`/api/session/${app.session}/model.${kind}`);
    if (!resp.ok) { app.error((await readJson(resp)).error); return; }
    const blob = await resp.blob();
    const name = (resp.headers.get('Content-Disposition') || '').match(/filename="(.+)"/);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name ? name[1] : `playground.${kind}`;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    app.info_(`saved ${a.download} (${blob.size.toLocaleString()} bytes)`);
  }
  $('save').addEventListener('click', () => download('safetensors'));
  $('onnx').addEventListener('click', () => download('onnx'));
  $('model-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const resp = await fetch(`/api/session/${app.session}/model`, { method: 'POST', body: file });
    const json = await readJson(resp);
    ev.target.value = '';
    if (!resp.ok) app.error(json.error); else app.info_(`loaded ${file.name}: network ${json.shape}`);
  });
}
