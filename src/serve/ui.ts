/**
 * `mtl serve --ui`: the browser demo of examples/browser on the inference server. Everything is local:
 *   GET /                     examples/browser/index.html (and the other files of that folder by name)
 *   GET /vendor/<file>        the tfjs browser bundles from node_modules (core, cpu backend, layers)
 *   GET /mtl/runtime.js       src/browser/runtime.ts bundled with src/data/preprocess.ts (esbuild)
 *   GET /model/<file>         model.json, its weight files and manifest.json of the served model
 * The page predicts in the browser with tfjs alone; the server only hands out files.
 * A text model (text.json in its folder) gets the text page of examples/agent/page instead: GET / is its
 * index.html, /model/text.json is served too, and GET /mtl/text-runtime.js is src/browser/text-runtime.ts
 * bundled with tfjs inside (its custom layers need the library's own tfjs instance; see that file).
 * An audio model (audio.json: `mtl agent --speech`) gets examples/agent/audio-page likewise, with
 * /model/audio.json and GET /mtl/audio-runtime.js (src/browser/audio-runtime.ts, tfjs inside).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { audioRuntimeBundle, browserRuntimeBundle, textRuntimeBundle, tfjsBrowserFile } from '../browser/bundle.js';
import { AUDIO_STATE_FILE } from '../data/audio/audio-state.js';
import { TEXT_STATE_FILE } from '../data/text/text-state.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** examples/browser of the package (src/serve and dist/serve are both two levels below the root). */
export function browserExampleDir(): string {
  return path.resolve(here, '..', '..', 'examples', 'browser');
}

/** examples/agent/audio-page of the package: the page of audio models (`mtl agent --speech`). */
export function audioPageDir(): string {
  return path.resolve(here, '..', '..', 'examples', 'agent', 'audio-page');
}

/** examples/agent/page of the package: the page of text models. */
export function textPageDir(): string {
  return path.resolve(here, '..', '..', 'examples', 'agent', 'page');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

function sendFile(reply: FastifyReply, file: string): FastifyReply {
  return reply
    .type(TYPES[path.extname(file)] ?? 'application/octet-stream')
    .header('cache-control', 'no-cache')
    .send(fs.readFileSync(file));
}

/** Files a model folder may hand out: manifest.json, model.json and the weight files model.json names. */
function modelFiles(modelDir: string): Set<string> {
  const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  const names = new Set(['model.json', 'manifest.json']);
  for (const state of [TEXT_STATE_FILE, AUDIO_STATE_FILE]) if (fs.existsSync(path.join(modelDir, state))) names.add(state);
  for (const group of json.weightsManifest ?? []) for (const p of group.paths) if (!p.includes('/') && !p.includes('\\')) names.add(p);
  return names;
}

export function registerUi(app: FastifyInstance, modelDir: string): void {
  const text = fs.existsSync(path.join(modelDir, TEXT_STATE_FILE));
  const audio = fs.existsSync(path.join(modelDir, AUDIO_STATE_FILE));
  const pageDir = audio ? audioPageDir() : text ? textPageDir() : browserExampleDir();
  if (!fs.existsSync(path.join(pageDir, 'index.html'))) throw new Error(`--ui: the page is missing (${pageDir}/index.html)`);
  const served = modelFiles(modelDir);

  app.get('/', async (_req, reply) => sendFile(reply, path.join(pageDir, 'index.html')));
  app.get('/favicon.ico', async (_req, reply) => reply.status(204).send());
  app.get<{ Params: { file: string } }>('/model/:file', async (req, reply) => {
    const name = req.params.file;
    if (!served.has(name)) return reply.status(404).send({ error: `no model file '${name}'` });
    return sendFile(reply, path.join(modelDir, name));
  });
  app.get<{ Params: { file: string } }>('/vendor/:file', async (req, reply) => {
    const file = tfjsBrowserFile(req.params.file);
    if (!file) return reply.status(404).send({ error: `no vendor file '${req.params.file}'` });
    return sendFile(reply, file);
  });
  app.get('/mtl/runtime.js', async (_req, reply) => reply.type(TYPES['.js']!).header('cache-control', 'no-cache').send(await browserRuntimeBundle()));
  if (text) app.get('/mtl/text-runtime.js', async (_req, reply) => reply.type(TYPES['.js']!).header('cache-control', 'no-cache').send(await textRuntimeBundle()));
  if (audio) app.get('/mtl/audio-runtime.js', async (_req, reply) => reply.type(TYPES['.js']!).header('cache-control', 'no-cache').send(await audioRuntimeBundle()));
  // The page's own files, by plain name only (no sub-folders, no traversal).
  app.get<{ Params: { file: string } }>('/:file', async (req, reply) => {
    const name = req.params.file;
    const ok = /^[\w.-]+$/.test(name) && !name.startsWith('.') && fs.readdirSync(pageDir).includes(name);
    if (!ok) return reply.status(404).send({ error: `no file '${name}'` });
    return sendFile(reply, path.join(pageDir, name));
  });
}
