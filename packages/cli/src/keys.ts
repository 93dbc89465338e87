import type { Command } from 'commander';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { keyView, rotationView } from '@keymint/server';

/** `keymint keys …`: the tenant's signing keys and their rotation. */
export function registerKeyCommands(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command('keys').description('signing keys: next → current → retired → removed (docs/key-rotation.md)');
  keys
    .command('list')
    .description('list the tenant\'s signing keys')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const list = (await keymint.keys.list(current.id)).map(keyView);
        print(globals().json, { keys: list }, () =>
          table([['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATED', 'REMOVE AFTER'], ...list.map((k) => [k.kid, k.alg, k.state, k.created_at, k.activated_at ?? '', k.remove_after ?? ''])]),
        );
      }),
    );
  keys
    .command('rotate')
    .description('promote the published next key (or schedule it) and stage a new next key')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const result = await keymint.keys.rotate(current.id, CLI);
        const view = rotationView(result, await keymint.keys.list(current.id));
        print(globals().json, view, () =>
          result.promoted
            ? `key ${result.promoted} signs from now on; next key ${result.next.kid} is published`
            : `key ${result.next.kid} is published and will sign from ${view.next.activates_at} (verifiers may cache the JWKS until then)`,
        );
      }),
    );
}
