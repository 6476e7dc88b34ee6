// The text page: loads the served text model with the text runtime (tfjs bundled inside it) and shows,
// for the typed utterance, every task's answer — the intent with its probabilities, the slot spans
// highlighted over the tokens, sentiment / domain when the model has them. The answers are the objects
// `mtl predict --json` prints (src/browser/text-predict.ts). For tests: window.mtlText = { ready, error,
// backend, last (the shown prediction), predict(text) }, and #result[data-text] is the utterance shown.
import { loadTextModel } from './mtl/text-runtime.js';

const $ = (id) => document.getElementById(id);
const state = { ready: false, error: undefined, backend: undefined, last: null, predict: null };
window.mtlText = state;

const EXAMPLES = [
  'book a table for two at a sushi place tomorrow',
  'play some jazz music on spotify',
  'what is the weather in paris next week',
  'add this song to my workout playlist',
  'rate this book four out of six stars',
];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('data-')) e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** A stable pastel colour per slot type. */
function hue(type) {
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

const pct = (p) => `${(100 * p).toFixed(1)}%`;

function bars(probabilities, top = 5) {
  const entries = Object.entries(probabilities).sort((a, b) => b[1] - a[1]).slice(0, top);
  return entries.map(([name, p], i) => el('div', { class: `bar${i === 0 ? ' top' : ''}` },
    el('span', {}, name),
    el('span', { class: 'track' }, el('span', { class: 'fill', style: `display:block;width:${(100 * p).toFixed(1)}%` })),
    el('span', { class: 'v' }, p.toFixed(4))));
}

/** The tokens in a row, slot spans boxed in their type's colour, each token's B / I tag beneath it. */
function tokenRow(tokens, answer) {
  const row = el('div', { class: 'tokens', 'data-testid': 'tokens' });
  const tok = (j) => el('span', { class: 'tok', 'data-testid': 'token', title: answer.tags[j] }, tokens[j], el('small', {}, answer.tags[j] === 'O' ? '' : answer.tags[j].split('-')[0]));
  const startAt = new Map(answer.spans.map((s) => [s.start, s]));
  for (let j = 0; j < tokens.length;) {
    const s = startAt.get(j);
    if (!s) {
      row.append(tok(j));
      j++;
      continue;
    }
    const h = hue(s.type);
    const box = el('span', { class: 'span', style: `background:hsl(${h} 70% 90%);border:1px solid hsl(${h} 45% 70%)` });
    const toks = el('span', { class: 'toks' });
    for (let k = s.start; k <= s.end; k++) toks.append(tok(k));
    box.append(toks, el('span', { class: 'type', style: `color:hsl(${h} 50% 30%)` }, s.type));
    row.append(box);
    j = s.end + 1;
  }
  return row;
}

function taskBlock(name, kind, body) {
  return el('div', { class: 'task', 'data-testid': `task-${name}` }, el('h3', {}, name, el('small', {}, kind)), ...body);
}

function render(p) {
  const out = $('result');
  out.replaceChildren();
  const tokensLine = el('div', { class: 'note' }, `${p.tokens.length} token${p.tokens.length === 1 ? '' : 's'}`
    + (p.truncated ? ` (+${p.truncated} cut beyond the model's length)` : ''));
  let tokensShown = false;
  for (const [name, a] of Object.entries(p.tasks)) {
    if (a.kind === 'class') {
      out.append(taskBlock(name, 'class', [
        el('div', { class: 'intent' }, el('span', { class: 'label', 'data-testid': `label-${name}` }, a.label), el('span', { class: 'p' }, `p = ${a.probability.toFixed(4)}`)),
        ...bars(a.probabilities),
      ]));
    } else if (a.kind === 'spans') {
      const table = el('table', { class: 'spans' }, el('tr', {}, el('th', {}, 'slot'), el('th', {}, 'text'), el('th', {}, 'tokens')));
      for (const s of a.spans) {
        table.append(el('tr', { 'data-testid': `span-${name}`, 'data-type': s.type, 'data-start': s.start, 'data-end': s.end, 'data-text': s.text },
          el('td', {}, s.type), el('td', {}, s.text), el('td', {}, s.start === s.end ? String(s.start) : `${s.start}–${s.end}`)));
      }
      out.append(taskBlock(name, 'spans', [tokenRow(p.tokens, a), a.spans.length ? table : el('div', { class: 'note' }, 'no slots'), tokensLine]));
      tokensShown = true;
    } else if (a.kind === 'binary') {
      out.append(taskBlock(name, 'binary', [
        el('div', { class: 'intent' }, el('span', { class: 'label', 'data-testid': `label-${name}` }, a.label), el('span', { class: 'p' }, `p(${a.positiveLabel}) = ${a.probability.toFixed(4)}`)),
      ]));
    } else {
      out.append(taskBlock(name, 'values', [el('div', { class: 'kv' }, a.values.map((v) => v.toFixed(4)).join(', '))]));
    }
  }
  if (!tokensShown) out.prepend(el('div', { class: 'tokens' }, ...p.tokens.map((t) => el('span', { class: 'tok' }, t))), tokensLine);
  out.hidden = false;
  out.dataset.text = p.text;
}

function update() {
  const text = $('utterance').value;
  if (!text.trim()) {
    $('result').hidden = true;
    $('result').dataset.text = '';
    state.last = null;
    return;
  }
  const t0 = performance.now();
  const [p] = state.predict(text);
  state.last = p;
  render(p);
  $('status').textContent = `predicted in ${(performance.now() - t0).toFixed(0)} ms on ${state.backend}`;
}

async function main() {
  try {
    const model = await loadTextModel('model/');
    state.backend = model.backend;
    state.predict = (text) => model.predict([text]);
    state.predictMany = (texts) => model.predict(texts);
    const m = model.manifest;
    $('model-meta').textContent = `${m.architecture} · tasks: ${model.tasks.map((t) => `${t.name} (${t.kind})`).join(', ')}`
      + ` · ${model.text.vocabulary.length} words, L = ${model.text.maxLength} · tfjs ${state.backend} backend, in this page`;
    const input = $('utterance');
    input.disabled = false;
    input.addEventListener('input', update);
    for (const ex of EXAMPLES) {
      $('examples').append(el('button', { type: 'button', onclick: () => { input.value = ex; update(); input.focus(); } }, ex));
    }
    $('status').textContent = `ready (${state.backend})`;
    state.ready = true;
    input.focus();
  } catch (e) {
    state.error = String(e && e.stack ? e.message : e);
    $('status').textContent = `failed: ${state.error}`;
    $('status').className = 'error';
    $('model-meta').textContent = 'the model did not load';
  } finally {
    document.body.dataset.ready = state.ready ? 'yes' : 'no';
  }
}

main();
