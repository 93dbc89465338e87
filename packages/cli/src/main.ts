import { ConfigError, KeymintError } from '@keymint/server';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

try {
  await buildProgram().exitOverride().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const message = error instanceof ConfigError || error instanceof KeymintError
    ? error.message
    : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`keymint: ${message}\n`);
  process.exit(1);
}
