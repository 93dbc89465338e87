import type { Command } from 'commander';
import { backupDatabase, generateMasterKey, loadConfig, rotateMasterKey, sealedValuesByKey } from '@keymint/server';
import { requireInstallation, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';

/** `keymint master-key …` and `keymint backup`: what an operator runs (docs/operations.md). */
export function registerOperationsCommands(program: Command, globals: () => GlobalOptions): void {
  const masterKey = program
    .command('master-key')
    .description('the master keys that seal private signing keys and signed-request secrets (docs/operations.md)');
  masterKey
    .command('rotate')
    .description('re-seal every sealed value under the current key, while the servers run (file-based key: a new key first)')
    .action(async () => {
      const config = loadConfig();
      requireInstallation(config);
      const result = await rotateMasterKey(config);
      print(globals().json, { key_id: result.keyId, signing_keys: result.signingKeys, client_secrets: result.clientSecrets, webhook_secrets: result.webhookSecrets, remaining: result.remaining, new_key_file: result.newKeyFile, retired_key_file: result.retiredKeyFile }, () =>
        [
          `re-sealed ${result.signingKeys} signing keys, ${result.clientSecrets} client secret copies and ${result.webhookSecrets} webhook secrets under master key ${result.keyId}`,
          ...(result.newKeyFile ? [`  new master key   ${result.newKeyFile}`, `  old master key   ${result.retiredKeyFile} (kept: it opens backups taken before now; delete it yourself when none is needed)`] : []),
          ...(result.remaining > 0 ? [`  ${result.remaining} values are still sealed by another key (sealed meanwhile): run rotate again`] : []),
          ...(!result.newKeyFile && result.signingKeys + result.clientSecrets + result.webhookSecrets === 0
            ? ['  everything was already sealed under the current key: to rotate, first deploy a new KEYMINT_MASTER_KEY (keymint master-key generate) with the old one in KEYMINT_MASTER_KEY_PREVIOUS on every node (docs/operations.md)']
            : []),
        ].join('\n'),
      );
    });
  masterKey
    .command('status')
    .description('which master keys this installation holds and how many sealed values each one seals')
    .action(() =>
      withKeymint(globals(), async ({ keymint }) => {
        const sealed = await sealedValuesByKey(keymint.db);
        const keys = keymint.keyring.keys.map((k, i) => ({ key_id: k.id, role: i === 0 ? 'current' : 'previous', sealed_values: sealed[k.id] ?? 0 }));
        const unknown = Object.entries(sealed).filter(([id]) => !keys.some((k) => k.key_id === id)).map(([id, n]) => ({ key_id: id, role: 'not held', sealed_values: n }));
        const rows = [...keys, ...unknown];
        print(globals().json, { keys: rows }, () => table([['KEY ID', 'ROLE', 'SEALED VALUES'], ...rows.map((r) => [r.key_id, r.role, String(r.sealed_values)])]));
      }),
    );
  masterKey
    .command('generate')
    .description('print a new random master key for KEYMINT_MASTER_KEY (nothing is stored)')
    .action(() => {
      const { key, keyId } = generateMasterKey();
      print(globals().json, { key, key_id: keyId }, () => `${key}\n  key id ${keyId}: put it in your secret store (docs/operations.md "Rotating the master key")`);
    });

  program
    .command('backup <file>')
    .description('a consistent online copy of the SQLite database (mode 0600); on PostgreSQL, how to use pg_dump')
    .action(async (file: string) => {
      const config = loadConfig();
      requireInstallation(config);
      const result = await backupDatabase(config, file);
      print(globals().json, { file: result.file, bytes: result.bytes, master_key: result.masterKey }, () =>
        [`backed up ${result.bytes} bytes to ${result.file} (mode 0600)`, `  the master key is not in it: keep ${result.masterKey} apart from the backup`].join('\n'),
      );
    });

}
