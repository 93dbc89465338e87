import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { redactUrl } from './config.js';
import { buildApp } from './http/app.js';
import { openKeymint, type Keymint } from './keymint.js';
import { startTracing } from './telemetry/tracing.js';
import { createLogger } from './log.js';

export interface RunningServer {
  app: FastifyInstance;
  keymint: Keymint;
  /** Base URL every issuer hangs from. */
  publicUrl: string;
  /** What to tell a person who just started the server. */
  banner: string;
  close(): Promise<void>;
}

export interface StartOptions {
  logDestination?: DestinationStream;
  now?: () => number;
}

/** The banner's first-start line: a one-time link to create the first owner. */
export const setupLine = (publicUrl: string, token: string): string =>
  `  admin setup  ${publicUrl}/console/setup?token=${token}  (one-time link, valid 24 h: create the first admin account)`;

/**
 * The public URL before anything listens (the `--workers` primary): KEYMINT_PUBLIC_URL, or the
 * address a browser on this machine can open.
 */
export function publicUrlOf(config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/** Migrates, bootstraps tenant `default`, listens, and returns once ready to serve. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const log = createLogger(config.logLevel, options.logDestination);
  const tracing = await startTracing(config);
  const keymint = await openKeymint(config, { log, migrate: true, watchChanges: true, now: options.now });
  let publicUrl = config.publicUrl ?? '';
  try {
    const { created } = await keymint.tenants.ensureDefault();
    const app = await buildApp(keymint, { publicUrl: () => publicUrl });
    const address = await app.listen({ host: config.host, port: config.port });
    if (!publicUrl) publicUrl = address.replace('://[::1]', '://localhost');
    const tenants = await keymint.tenants.list();
    // First start (no admin account yet): a one-time link to create the first owner.
    const setupToken = await keymint.admins.bootstrapLink();
    const banner = [
      `Keymint is listening on ${address}`,
      `  public URL   ${publicUrl}`,
      `  database     ${redactUrl(config.database.url)}`,
      `  master key   ${keymint.masterKeySource === 'environment' ? 'KEYMINT_MASTER_KEY' : `${config.masterKeyFile}${keymint.masterKeySource === 'new file' ? ' (created now: back it up)' : ''}`}`,
      ...tenants.map((t) => `  tenant ${t.slug.padEnd(12)} issuer ${publicUrl}/t/${t.slug}${created && t.slug === 'default' ? ' (created now)' : ''}`),
      `  API docs     ${publicUrl}/docs`,
      `  console      ${publicUrl}/console`,
      ...(setupToken ? [setupLine(publicUrl, setupToken)] : []),
    ].join('\n');
    return {
      app,
      keymint,
      publicUrl,
      banner,
      async close() {
        // Graceful: /readyz fails, the listener closes (new requests are refused, idle keep-alive
        // connections closed), in-flight requests finish, then batched writes are flushed and the
        // pools closed. Requests still running after KEYMINT_SHUTDOWN_TIMEOUT are cut.
        app.operations.drain();
        const deadline = setTimeout(() => app.server.closeAllConnections(), config.shutdownTimeoutSeconds * 1000);
        deadline.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(deadline);
        }
        await keymint.close();
        await tracing?.shutdown();
      },
    };
  } catch (error) {
    await keymint.close();
    await tracing?.shutdown();
    throw error;
  }
}
