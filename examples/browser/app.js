// The browser demo of mtljs: loads ./model/ (model.json + weights.bin + manifest.json) with tfjs alone
// through the mtljs browser runtime (src/browser/runtime.ts, bundled with the training preprocessing of
// src/data/preprocess.ts), and shows every task's output for
//   - a table model (manifest.preprocessing): a form of the feature columns, or one of the embedded
//     adult test rows (adult-rows.json);
//   - an image model (input 28 × 28 × 1 or 784, e.g. MNIST): a digit drawn with the mouse, or one of
//     the embedded MNIST digits (mnist-digits.json).
// window.mtlDemo exposes the runtime for tests: predictRows, predictInputs, encode, answers.
import { loadMtlModel } from './mtl/runtime.js';

const tf = window.tf;
const $ = (id) => document.getElementById(id);
const statusEl = $('status');

function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'className') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
const f4 = (v) => v.toFixed(4);
const pct = (v) => `${(100 * v).toFixed(1)}%`;

function bar(name, p, top, testid) {
  const fill = el('div', { className: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
  return el('div', { className: `bar${top ? ' top' : ''}` }, [
    el('span', { text: name }),
    el('div', { className: 'track' }, [fill]),
    el('span', { className: 'v', text: pct(p), 'data-testid': testid, 'data-value': String(p) }),
  ]);
}

/** One task's answer (the server's format, from formatRows) as HTML. */
function renderAnswer(task, a) {
  const id = `out-${task.name}`;
  const box = el('div', { className: 'task', 'data-task': task.name }, [
    el('h3', {}, [task.name, el('small', { text: task.kind })]),
  ]);
  if ('probabilities' in a && 'index' in a) {
    box.append(el('div', { className: 'answer', text: a.label, 'data-testid': `${id}-label` }));
    for (const [name, p] of Object.entries(a.probabilities)) box.append(bar(name, p, name === a.label, `${id}-p-${name}`));
  } else if ('probability' in a) {
    box.append(el('div', { className: 'answer', text: a.label, 'data-testid': `${id}-label` }));
    box.append(bar(`P(${a.positiveLabel})`, a.probability, a.probability >= 0.5, `${id}-p`));
  } else if ('labels' in a) {
    box.append(el('div', { className: 'answer', text: a.labels.length ? a.labels.join(', ') : '(none)', 'data-testid': `${id}-label` }));
    for (const [name, p] of Object.entries(a.probabilities)) box.append(bar(name, p, p >= 0.5, `${id}-p-${name}`));
  } else if ('values' in a) {
    for (const [name, v] of Object.entries(a.values)) {
      box.append(el('div', { className: 'kv' }, [`${name}: `, el('b', { text: f4(v), 'data-testid': `${id}-v-${name}`, 'data-value': String(v) })]));
    }
  } else if ('box' in a) {
    const b = a.box;
    box.append(el('div', { className: 'kv' }, ['x1, y1, x2, y2 = ', el('b', { text: [b.x1, b.y1, b.x2, b.y2].map(f4).join(', '), 'data-testid': `${id}-box`, 'data-value': JSON.stringify(b) })]));
  }
  return box;
}

function showOutputs(model, outputs) {
  const answers = model.answers(outputs, 1)[0];
  const host = $('outputs');
  host.replaceChildren(...model.tasks.map((t) => renderAnswer(t, answers[t.name])));
  window.mtlDemo.last = answers;
  window.mtlDemo.updates++;
}

// ---- table models ---------------------------------------------------------------------------------
async function tableUi(model) {
  const pre = model.manifest.preprocessing;
  const features = pre.features;
  const examples = await fetch('adult-rows.json').then((r) => (r.ok ? r.json() : null)).catch(() => null);
  const fits = (row) => features.every((f) => Object.prototype.hasOwnProperty.call(row, f.column));
  const rows = examples ? examples.rows.filter(fits) : [];
  const form = el('form', { id: 'features' });
  const inputs = {};
  for (const f of features) {
    let input;
    if (f.type === 'numeric') {
      input = el('input', { type: 'number', step: 'any', name: f.column, placeholder: `mean ${f.mean.toFixed(1)}`, 'data-column': f.column });
    } else if (f.categories && f.categories.length <= 200 && f.type !== 'ids') {
      input = el('select', { name: f.column, 'data-column': f.column }, [el('option', { value: '', text: '(missing)' }), ...f.categories.map((c) => el('option', { value: c, text: c }))]);
    } else {
      // Hashed or large vocabularies and id lists (`a|b|c`): typed in.
      input = el('input', { type: 'text', name: f.column, placeholder: f.type === 'ids' ? `ids separated by ${f.separator}` : 'a value', 'data-column': f.column });
    }
    inputs[f.column] = input;
    form.append(el('label', {}, [el('span', { text: f.column }), input]));
  }
  const truth = el('div', { className: 'truth', 'data-testid': 'truth' });
  const panel = $('input');
  if (rows.length) {
    const pick = el('select', { id: 'row-pick', 'data-testid': 'row-pick' }, rows.map((r, i) => el('option', { value: String(i), text: `test row ${i + 1}: ${r.age ?? ''} ${r.occupation ?? ''} ${r.education ?? ''}`.trim() })));
    pick.addEventListener('change', () => setRow(rows[Number(pick.value)]));
    panel.append(el('div', { className: 'row-pick' }, [el('span', { text: 'Example' }), pick]), truth);
  }
  panel.append(form, el('p', { className: 'note', text: 'Empty fields are missing values (the training mean / no category), as in training.' }));

  const record = () => {
    const r = {};
    for (const f of features) {
      const v = inputs[f.column].value;
      r[f.column] = v === '' ? null : f.type === 'numeric' ? Number(v) : v;
    }
    return r;
  };
  const predict = () => {
    try {
      showOutputs(model, model.predictRows([record()]));
      statusEl.textContent = '';
      statusEl.className = '';
    } catch (e) {
      statusEl.textContent = e.message;
      statusEl.className = 'error';
    }
  };
  function setRow(row) {
    for (const f of features) inputs[f.column].value = row[f.column] == null ? '' : String(row[f.column]);
    const labels = examples?.labels ?? [];
    truth.textContent = labels.length ? `true labels: ${labels.map((l) => `${l} = ${row[l]}`).join(', ')}` : '';
    predict();
  }
  form.addEventListener('input', predict);
  form.addEventListener('change', predict);
  window.mtlDemo.selectRow = (i) => {
    const pick = $('row-pick');
    pick.value = String(i);
    pick.dispatchEvent(new Event('change'));
  };
  if (rows.length) setRow(rows[0]);
  else predict();
}

// ---- image models ---------------------------------------------------------------------------------
async function imageUi(model) {
  const side = 28;
  const scale = 10;
  const pad = el('canvas', { className: 'pad', width: String(side * scale), height: String(side * scale), 'data-testid': 'pad' });
  const view = el('canvas', { className: 'input', width: String(side * 5), height: String(side * 5), 'data-testid': 'model-input' });
  const ctx = pad.getContext('2d');
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let pixels = new Float32Array(side * side);

  /** The drawing as MNIST-like input: the ink's bounding box scaled into 20 × 20, centred in 28 × 28, values in [0, 1]. */
  const fromPad = () => {
    const img = ctx.getImageData(0, 0, pad.width, pad.height).data;
    let x0 = pad.width, y0 = pad.height, x1 = -1, y1 = -1;
    for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
      if (img[(y * pad.width + x) * 4] > 30) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
    }
    const small = el('canvas', { width: String(side), height: String(side) });
    const s = small.getContext('2d');
    s.fillStyle = '#000';
    s.fillRect(0, 0, side, side);
    if (x1 >= 0) {
      const w = x1 - x0 + 1, h = y1 - y0 + 1, k = 20 / Math.max(w, h);
      s.imageSmoothingEnabled = true;
      s.imageSmoothingQuality = 'high';
      s.drawImage(pad, x0, y0, w, h, (side - w * k) / 2, (side - h * k) / 2, w * k, h * k);
    }
    const d = s.getImageData(0, 0, side, side).data;
    return Float32Array.from({ length: side * side }, (_, i) => d[i * 4] / 255);
  };

  const drawView = (boxAnswer) => {
    const v = view.getContext('2d');
    const img = v.createImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const g = Math.round(pixels[i] * 255);
      img.data.set([g, g, g, 255], i * 4);
    }
    const tmp = el('canvas', { width: String(side), height: String(side) });
    tmp.getContext('2d').putImageData(img, 0, 0);
    v.imageSmoothingEnabled = false;
    v.drawImage(tmp, 0, 0, view.width, view.height);
    if (boxAnswer) {
      const { x1, y1, x2, y2 } = boxAnswer.box;
      v.strokeStyle = '#ff4d4f';
      v.lineWidth = 2;
      v.strokeRect(x1 * view.width, y1 * view.height, (x2 - x1) * view.width, (y2 - y1) * view.height);
    }
  };
  const predict = () => {
    window.mtlDemo.lastInput = Array.from(pixels);
    showOutputs(model, model.predictInputs(pixels, 1));
    const boxTask = model.tasks.find((t) => t.kind === 'box');
    drawView(boxTask ? window.mtlDemo.last[boxTask.name] : null);
    statusEl.textContent = '';
  };

  let drawing = false;
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)];
  };
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    pixels = fromPad();
    predict();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointerleave', end);

  const samples = await fetch('mnist-digits.json').then((r) => (r.ok ? r.json() : null)).catch(() => null);
  const digitButtons = el('div', { className: 'digits' });
  const showSample = (i) => {
    pixels = Float32Array.from(samples.digits[i].pixels);
    clear();
    const tmp = el('canvas', { width: String(side), height: String(side) });
    const img = tmp.getContext('2d').createImageData(side, side);
    for (let j = 0; j < side * side; j++) { const g = Math.round(pixels[j] * 255); img.data.set([g, g, g, 255], j * 4); }
    tmp.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, pad.width, pad.height);
    predict();
  };
  if (samples) samples.digits.forEach((d, i) => digitButtons.append(el('button', { type: 'button', text: String(d.label), 'data-testid': `digit-${i}` })));
  digitButtons.addEventListener('click', (e) => {
    const id = e.target?.getAttribute?.('data-testid');
    if (id?.startsWith('digit-')) showSample(Number(id.slice(6)));
  });
  const clearBtn = el('button', { type: 'button', text: 'Clear' });
  clearBtn.addEventListener('click', () => { clear(); pixels = new Float32Array(side * side); predict(); });
  $('input').append(
    el('div', { className: 'draw' }, [pad, el('div', {}, [el('div', { className: 'note', text: 'model input (28 × 28) and predicted box' }), view])]),
    el('div', { className: 'row-pick' }, [clearBtn, el('span', { className: 'note', text: 'draw a digit, or pick an MNIST sample:' })]),
    digitButtons,
  );
  window.mtlDemo.showSample = showSample;
  if (samples) showSample(0);
  else predict();
}

// ---- start ----------------------------------------------------------------------------------------
window.mtlDemo = { ready: false, updates: 0 };
try {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await loadMtlModel(tf, './model/');
  const m = model.manifest;
  Object.assign(window.mtlDemo, {
    model,
    backend: tf.getBackend(),
    manifest: m,
    /** task → plain arrays (probabilities / values), for rows keyed by column name. */
    predictRows: (rows) => Object.fromEntries(Object.entries(model.predictRows(rows)).map(([k, v]) => [k, Array.from(v)])),
    /** task → plain arrays, for n encoded inputs (flat). */
    predictInputs: (x, n) => Object.fromEntries(Object.entries(model.predictInputs(Float32Array.from(x), n)).map(([k, v]) => [k, Array.from(v)])),
    encode: (rows) => Array.from(model.encode(rows)),
    answersForRows: (rows) => model.answers(model.predictRows(rows), rows.length),
  });
  $('model-meta').textContent = `${m.architecture} · input [${m.inputShape.join(', ')}]${m.dataset ? ` · data ${m.dataset.name}` : ''} · tasks ${m.tasks.map((t) => `${t.name} (${t.kind})`).join(', ')} · tfjs ${tf.version_core} on ${tf.getBackend()}`;
  const image = !m.preprocessing && m.inputShape.reduce((a, b) => a * b, 1) === 28 * 28;
  if (m.preprocessing) await tableUi(model);
  else if (image) await imageUi(model);
  else throw new Error(`no input form for a model with input [${m.inputShape.join(', ')}] and no preprocessing`);
  window.mtlDemo.ready = true;
  document.body.setAttribute('data-ready', 'true');
} catch (e) {
  statusEl.textContent = `error: ${e.message}`;
  statusEl.className = 'error';
  window.mtlDemo.error = e.message;
  document.body.setAttribute('data-ready', 'error');
}
