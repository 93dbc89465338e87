import { createRequire } from 'node:module';
import { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { registerServerCommands } from './server-commands.js';
import { registerTenantCommands } from './tenants.js';
import { registerAppCommands } from './apps.js';
import { registerApiTokenCommands } from './api-tokens.js';
import { registerKeyCommands } from './keys.js';
import { registerAdminCommands } from './admins.js';
import { registerAdminTokenCommands } from './admin-tokens.js';
import { registerOperationsCommands } from './operations.js';
import { registerUserCommands } from './users.js';
import { registerAuditCommands } from './audit.js';
import { registerWebhookCommands } from './webhooks.js';
import { registerConfigAsCodeCommands } from './config-as-code.js';
import { registerUsageCommands } from './usage.js';

/** This package's version (package.json beside dist/). */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** The whole command tree; each command group lives in its own module and imports nothing from here. */
export function buildProgram(): Command {
  const program = new Command('keymint')
    .description('Keymint: self-hosted authentication for REST API platforms')
    .option('--tenant <slug>', 'tenant to act on', 'default')
    .option('--json', 'print one JSON object on stdout and nothing else')
    .version(`keymint ${VERSION}`, '-V, --version', 'print the version')
    // A usage error is one line and a pointer to the help, not the whole help.
    .configureOutput({ outputError: (text, write) => write(`keymint: ${text.trim().replace(/^error: /, '')} (see keymint --help)\n`) });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  registerServerCommands(program, globals);
  registerTenantCommands(program, globals);
  registerAppCommands(program, globals);
  registerApiTokenCommands(program, globals);
  registerKeyCommands(program, globals);
  registerAdminTokenCommands(registerAdminCommands(program, globals), globals);
  registerOperationsCommands(program, globals);
  registerUserCommands(program, globals);
  registerAuditCommands(program, globals);
  registerWebhookCommands(program, globals);
  registerConfigAsCodeCommands(program, globals);
  registerUsageCommands(program, globals);
  return program;
}
