import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Config } from '../config.js';
import { InvalidRequest } from '../errors.js';

export interface BackupResult {
  file: string;
  bytes: number;
  /** Where the master key is: it is not in the backup and must be kept apart from it. */
  masterKey: string;
}

/**
 * `keymint backup FILE`: a consistent copy of the SQLite database taken with SQLite's online
 * backup API while servers keep reading and writing (docs/operations.md "Backups"). The file is
 * created exclusively with mode 0600 before SQLite writes into it, so no other user can read it
 * at any moment and an existing file is never replaced. On PostgreSQL it refuses, saying what to
 * run instead: the database server is the one to take the dump.
 */
export async function backupDatabase(config: Pick<Config, 'database' | 'masterKey' | 'masterKeyFile'>, target: string, cwd = process.cwd()): Promise<BackupResult> {
  const masterKey = config.masterKey ? 'KEYMINT_MASTER_KEY (and KEYMINT_MASTER_KEY_PREVIOUS) in your secret store' : `${config.masterKeyFile} and its master.key.retired-* files`;
  if (config.database.kind === 'postgres') {
    throw new InvalidRequest(
      'keymint backup copies SQLite databases; on PostgreSQL run `pg_dump -Fc -f keymint.dump <database>` (online and consistent; restore with pg_restore) '
      + `and keep the master keys (${masterKey}) apart from the dump: docs/operations.md "Backups"`,
    );
  }
  const file = resolve(cwd, target);
  if (existsSync(file)) throw new InvalidRequest(`${file} exists: keymint backup never replaces a file, name a new one`);
  if (!existsSync(config.database.path)) throw new InvalidRequest(`no database at ${config.database.path}: nothing to back up`);
  closeSync(openSync(file, 'wx', 0o600));
  const source = new SQLite(config.database.path, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(file);
  } finally {
    source.close();
  }
  chmodSync(file, 0o600);
  return { file, bytes: statSync(file).size, masterKey };
}
