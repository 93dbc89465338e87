import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The Vite build of packages/console (root `npm run build`, run by `npm start` and `npm test`). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

/**
 * Pages of the console and of the API docs (/docs): everything the browser may run comes from
 * this origin, the page cannot be framed (clickjacking), and the setup link's token never leaks
 * in a Referer.
 */
export function secureHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

/**
 * `/`, the first URL of the start-up banner: where a newcomer goes next. A page rather than a
 * redirect, so that it also helps when the console is not built.
 */
const HOME = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keymint</title></head><body>
<h1>Keymint is running</h1>
<ul>
<li><a href="/console/">Admin console</a>: tenants, apps, secrets, usage</li>
<li><a href="/docs">API reference</a> (OpenAPI at <a href="/openapi.json">/openapi.json</a>)</li>
<li>Each tenant's OAuth endpoints are under <code>/t/{tenant}</code>, listed by its discovery document:
<a href="/t/default/.well-known/oauth-authorization-server">/t/default/.well-known/oauth-authorization-server</a></li>
</ul>
<p>Guides: docs/ in the repository (start with README.md).</p>
</body></html>
`;

/** Serves the console at /console: hashed assets from disk, every other path the app shell. */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    secureHeaders(reply);
    return reply.type('text/html; charset=utf-8').send(HOME);
  });
  const index = `${CONSOLE_DIST}index.html`;
  if (!existsSync(index)) {
    app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain').send('The console is not built: run `npm run build` (npm start does it).'));
    return;
  }
  const shell = readFileSync(index);
  await app.register(fastifyStatic, {
    root: `${CONSOLE_DIST}assets`,
    prefix: '/console/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
    setHeaders: (res) => {
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
  const sendShell = async (_request: unknown, reply: FastifyReply) => {
    secureHeaders(reply);
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(shell);
  };
  app.get('/console', { schema: { hide: true } }, sendShell);
  app.get('/console/*', { schema: { hide: true } }, sendShell);
}
