import { ConfigError, KeymintError } from '@keymint/server';
import { CommanderError } from 'commander';
import { UsageError, UserMistake } from './errors.js';
import { buildProgram } from './program.js';
import { PortInUse, portError } from './port.js';

try {
  await buildProgram().exitOverride().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // The listen itself lost a race for the port after serve's early check passed.
  const listenError = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (listenError?.syscall === 'listen' && listenError.port !== undefined) error = portError(listenError, listenError.address ?? '', listenError.port);
  // Mistakes (the user's, the configuration's, the port's) are one line saying what to fix; only
  // what nobody could have prevented is called an unexpected failure.
  const message = error instanceof UsageError ? `${error.message} (see keymint --help)`
    : error instanceof ConfigError || error instanceof KeymintError || error instanceof UserMistake || error instanceof PortInUse
      ? error.message
      : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`keymint: ${message}\n`);
  process.exit(1);
}
