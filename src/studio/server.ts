/**
 * `mtl studio`'s server: hands out the site's files (./site.ts) and nothing else — GET only, no upload
 * route, so the user's table has nowhere to go; it stays in the page. Every answer carries the
 * cross-origin isolation headers (SharedArrayBuffer: Stop within a step, threaded wasm). Hardened like
 * the other servers (src/serve/security.ts): timeouts, a Host check on loopback (a DNS-rebinding page
 * cannot read it), no echo of long client strings.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { addHostCheck, clip, frameworkErrors, timeoutOptions } from '../serve/security.js';
import { ISOLATION_HEADERS, studioSite } from './site.js';

export async function createStudioServer(options: { allowedHosts?: string[] } = {}): Promise<FastifyInstance> {
  const files = await studioSite();
  const app = Fastify({ logger: false, forceCloseConnections: true, frameworkErrors, ...timeoutOptions() });
  addHostCheck(app, options.allowedHosts ?? []);
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) void reply.header(k, v);
    void reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: `no route ${req.method} ${clip(req.url)}` });
  });
  const send = (name: string) => async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const f = files.get(name)!;
    return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
  };
  app.get('/', send('index.html'));
  for (const name of files.keys()) app.get(`/${name}`, send(name));
  app.get('/health', async () => ({ status: 'ok', app: 'mtljs studio' }));
  return app;
}
