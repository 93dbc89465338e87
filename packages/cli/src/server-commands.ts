import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfig, migrateDatabase, serve } from '@keymint/server';
import { integer } from './args.js';
import { UsageError } from './errors.js';
import type { GlobalOptions } from './context.js';
import { print } from './output.js';
import { assertPortFree } from './port.js';

/** `keymint serve` and `keymint migrate`: running the server and its schema. */
export function registerServerCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the server (migrates and bootstraps on first start)')
    .option('--port <n>', 'listen port (overrides PORT)')
    .option('--host <address>', 'listen address (overrides HOST)')
    .option('--workers <n>', 'worker processes sharing the port (node:cluster); dead workers are replaced', integer)
    .action(async (options: { port?: string; host?: string; workers?: number }) => {
      const { workers, ...flags } = options;
      if (workers !== undefined && (workers < 1 || workers > 64)) throw new UsageError('--workers: expected 1 to 64');
      const config = loadConfig({ flags });
      // Workers share the primary's listening socket: only the primary (or a single process) checks.
      if (cluster.isPrimary) await assertPortFree(config.host, config.port);
      await serve(config, { workers });
    });

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const applied = await migrateDatabase(loadConfig());
      print(globals().json, { applied }, () => (applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date'));
    });
}
