import { existsSync } from 'node:fs';
import { UserMistake } from './errors.js';
import { createLogger, loadConfig, openKeymint, type Config, type Keymint, type Tenant } from '@keymint/server';

/** The CLI was run where there is no installation: one line, exit 1, nothing created. */
export class NoInstallation extends UserMistake {
  override name = 'NoInstallation';
}

/**
 * Commands other than `serve` and `migrate` work on an installation that exists. Without
 * KEYMINT_DATA_DIR / KEYMINT_DATABASE_URL that is `./data/keymint.db` in the current folder; run
 * anywhere else, the CLI would otherwise create a second installation there (a new database, a
 * new master key, another tenant `default`) whose secrets the running server rejects.
 */
export function requireInstallation(config: Config): void {
  if (config.installationGiven || config.database.kind !== 'sqlite' || existsSync(config.database.path)) return;
  throw new NoInstallation(
    `no Keymint installation here: ${config.database.path} does not exist. Run this in the folder the server runs in, or set KEYMINT_DATA_DIR (or KEYMINT_DATABASE_URL) to point at it`,
  );
}

/** Audit context of every change made from the command line. */
export const CLI = { actor: 'cli' } as const;

export interface GlobalOptions {
  tenant: string;
  json?: boolean;
}

export interface CommandContext {
  keymint: Keymint;
  config: Config;
  tenant: Tenant;
  issuer: string;
}

export function publicUrlOf(config: Config): string {
  return config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
}

/**
 * Opens the same database and master key the server uses, brings the schema up to date and
 * makes sure tenant `default` exists, so any command works on a fresh checkout.
 */
export async function withKeymint<T>(options: GlobalOptions, run: (context: CommandContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  requireInstallation(config);
  // Logs go to stderr so that --json leaves stdout with nothing but the answer. The master key
  // file is never created here: a database without its key would hold keys nothing opens.
  const keymint = await openKeymint(config, { log: createLogger('warn', process.stderr), migrate: true, createMasterKey: config.installationGiven });
  try {
    await keymint.tenants.ensureDefault();
    const tenant = await keymint.tenants.get(options.tenant);
    return await run({ keymint, config, tenant, issuer: `${publicUrlOf(config)}/t/${tenant.slug}` });
  } finally {
    await keymint.close();
  }
}
