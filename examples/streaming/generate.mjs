#!/usr/bin/env node
// A synthetic recommender log, as large as you like, for streaming training (config.yaml beside this
// file: data.stream: true). Plain Node, no dependency, seeded: the same --seed writes the same bytes.
//
//   node examples/streaming/generate.mjs [--rows 5000000] [--out /tmp/stream5m.csv] [--seed 1] [--format csv|jsonl]
//
// One row = one impression of an item to a user. Columns (308 bytes a row as CSV: 5M rows = 1.54 GB):
//   event_id, session_id, timestamp, referrer   identifiers and a URL (not features: the config lists its features)
//   user_id   u0000000…u0999999    1,000,000 users, skewed (some users are far more active)
//   item_id   i000000…i199999      200,000 items, skewed by popularity
//   category  c00…c49              the item's category (50)
//   device    mobile|desktop|tablet|tv
//   history   up to 10 '|'-joined item ids the user saw before (empty for some rows)
//   u_age, u_tenure, u_activity, u_spend       user numerics (noisy views of the user's latent taste)
//   i_price, i_popularity, i_quality, i_age    item numerics (noisy views of the item's latent factors)
//   ctx_hour, ctx_position, ctx_dwell, ctx_noise   context (position matters; ctx_noise is pure noise)
// Targets (a conversion funnel):
//   click       binary: logistic in the numerics + user·item latent factors (dim 4) + category bias
//   purchase    binary, only possible after a click (0 when click = 0); 10% of clicked rows unlabelled
//   watch_time  regression in seconds (log-normal), missing (empty) when click = 0
import fs from 'node:fs';

function args(argv) {
  const o = { rows: 5_000_000, out: '/tmp/stream5m.csv', seed: 1, format: 'csv' };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    const value = argv[i + 1];
    if (!(key in o) || value === undefined) {
      console.error(`usage: generate.mjs [--rows N] [--out FILE] [--seed S] [--format csv|jsonl] (unknown or incomplete: ${argv[i]})`);
      process.exit(2);
    }
    o[key] = key === 'out' || key === 'format' ? value : Number(value);
  }
  if (!Number.isInteger(o.rows) || o.rows < 1) throw new Error(`--rows must be a positive integer, got ${o.rows}`);
  if (o.format !== 'csv' && o.format !== 'jsonl') throw new Error(`--format csv or jsonl, got ${o.format}`);
  return o;
}

/** mulberry32: a small seeded PRNG, floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const o = args(process.argv);
const rand = mulberry32(o.seed);
const normal = () => {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
};
const sigmoid = (z) => 1 / (1 + Math.exp(-z));

const USERS = 1_000_000;
const ITEMS = 200_000;
const CATEGORIES = 50;
const DIM = 4;
const DEVICES = ['mobile', 'desktop', 'tablet', 'tv'];

// Latent factors: each user's taste and each item's profile, and a bias per category.
const userF = new Float32Array(USERS * DIM);
for (let i = 0; i < userF.length; i++) userF[i] = normal() * 0.8;
const itemF = new Float32Array(ITEMS * DIM);
for (let i = 0; i < itemF.length; i++) itemF[i] = normal() * 0.8;
const itemCat = new Uint8Array(ITEMS);
for (let i = 0; i < ITEMS; i++) itemCat[i] = Math.floor(rand() * CATEGORIES);
const catBias = Float64Array.from({ length: CATEGORIES }, () => normal() * 0.5);

const pad = (n, width) => String(n).padStart(width, '0');
const userId = (u) => `u${pad(u, 7)}`;
const itemId = (i) => `i${pad(i, 6)}`;
const num = (x) => x.toFixed(7);
/** Skewed draws: a few users and items are much more frequent (x² of a uniform). */
const skewed = (n) => Math.min(n - 1, Math.floor(n * rand() * rand()));

const header = ['event_id', 'session_id', 'timestamp', 'referrer', 'user_id', 'item_id', 'category', 'device', 'history',
  'u_age', 'u_tenure', 'u_activity', 'u_spend', 'i_price', 'i_popularity', 'i_quality', 'i_age',
  'ctx_hour', 'ctx_position', 'ctx_dwell', 'ctx_noise', 'click', 'purchase', 'watch_time'];

const out = fs.openSync(o.out, 'w');
let buffer = o.format === 'csv' ? header.join(',') + '\n' : '';
let bytes = 0;
const flush = () => {
  bytes += Buffer.byteLength(buffer);
  fs.writeSync(out, buffer);
  buffer = '';
};
const t0 = Date.now();
const start = Date.UTC(2026, 0, 1) / 1000;
let clicks = 0;
for (let r = 0; r < o.rows; r++) {
  const u = skewed(USERS);
  const it = skewed(ITEMS);
  let dot = 0;
  let dot2 = 0;
  for (let k = 0; k < DIM; k++) {
    dot += userF[u * DIM + k] * itemF[it * DIM + k];
    dot2 += userF[u * DIM + k] * itemF[it * DIM + ((k + 1) % DIM)];
  }
  const uf = (k) => userF[u * DIM + k];
  const itf = (k) => itemF[it * DIM + k];
  const uAge = 35 + 10 * uf(0) + 3 * normal();
  const uTenure = Math.exp(1 + 0.5 * uf(1) + 0.3 * normal());
  const uActivity = uf(2) + 0.5 * normal();
  const uSpend = 50 * Math.exp(0.4 * uf(3) + 0.3 * normal());
  const iPrice = 20 * Math.exp(0.5 * itf(0) + 0.2 * normal());
  const iPopularity = -Math.log((it + 1) / ITEMS) + 0.3 * normal();
  const iQuality = itf(1) + 0.5 * normal();
  const iAge = 100 * rand();
  const hour = Math.floor(24 * rand());
  const position = 1 + Math.floor(20 * rand());
  const dwell = Math.exp(normal());
  const noise = normal();
  const device = DEVICES[Math.floor(rand() * rand() * 4)];
  const cat = itemCat[it];
  const histLen = rand() < 0.1 ? 0 : 1 + Math.floor(Math.sqrt(rand()) * 10);
  const history = [];
  for (let h = 0; h < histLen; h++) history.push(itemId(skewed(ITEMS)));

  const z = -1.2 + 1.1 * dot + catBias[cat] + 0.5 * uActivity + 0.4 * iQuality - 0.06 * (position - 10) + 0.25 * Math.log(dwell + 1)
    + (device === 'mobile' ? 0.2 : 0) + 0.3 * Math.sin((hour / 24) * 2 * Math.PI);
  const click = rand() < sigmoid(z) ? 1 : 0;
  clicks += click;
  let purchase = '0';
  let watch = '';
  if (click) {
    const zp = -1.5 + 0.9 * dot2 + 0.6 * iQuality - 0.02 * (iPrice - 20) + 0.005 * (uSpend - 50);
    purchase = rand() < 0.1 ? '' : rand() < sigmoid(zp) ? '1' : '0';
    watch = (60 * Math.exp(0.35 * dot + 0.25 * iQuality + 0.1 * uActivity + 0.3 * normal())).toFixed(2);
  }
  const ts = new Date((start + Math.floor((r / o.rows) * 90 * 86400) + Math.floor(rand() * 60)) * 1000).toISOString().slice(0, 19) + 'Z';
  const eventId = (Math.floor(rand() * 0x100000000)).toString(16).padStart(8, '0') + (r >>> 0).toString(16).padStart(8, '0');
  const session = (Math.floor(rand() * 0x100000000)).toString(16).padStart(8, '0') + pad(u % 100000000, 8);
  const referrer = `https://shop.example/${['home', 'search', 'cart', 'feed'][hour % 4]}/c${pad(cat, 2)}/${itemId(it)}?pos=${position}&src=recsys`;
  const values = [eventId, session, ts, referrer, userId(u), itemId(it), `c${pad(cat, 2)}`, device, history.join('|'),
    num(uAge), num(uTenure), num(uActivity), num(uSpend), num(iPrice), num(iPopularity), num(iQuality), num(iAge),
    String(hour), String(position), num(dwell), num(noise), String(click), purchase, watch];
  if (o.format === 'csv') buffer += values.join(',') + '\n';
  else {
    const rec = {};
    header.forEach((h, i) => {
      const v = values[i];
      rec[h] = v === '' ? null : /^(u_|i_|ctx_|click|purchase|watch)/.test(h) ? Number(v) : v;
    });
    buffer += JSON.stringify(rec) + '\n';
  }
  if (buffer.length > 1 << 22) flush();
  if ((r + 1) % 1_000_000 === 0) console.error(`  ${(r + 1).toLocaleString('en-US')} rows, ${(bytes / 1e9).toFixed(2)} GB, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
flush();
fs.closeSync(out);
console.error(`wrote ${o.out}: ${o.rows.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB (${(bytes / o.rows).toFixed(0)} bytes a row), click rate ${(clicks / o.rows).toFixed(3)}, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
