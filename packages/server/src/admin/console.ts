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

/** Serves the console at /console: hashed assets from disk, every other path the app shell. */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
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
