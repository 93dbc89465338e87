import { createLogger, loadConfig, openKeymint, type Config, type Keymint, type Tenant } from '@keymint/server';

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
  // Logs go to stderr so that --json leaves stdout with nothing but the answer.
  const keymint = await openKeymint(config, { log: createLogger('warn', process.stderr), migrate: true });
  try {
    await keymint.tenants.ensureDefault();
    const tenant = await keymint.tenants.get(options.tenant);
    return await run({ keymint, config, tenant, issuer: `${publicUrlOf(config)}/t/${tenant.slug}` });
  } finally {
    await keymint.close();
  }
}
