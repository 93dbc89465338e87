import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomKey } from './random.js';

export const MASTER_KEY_BYTES = 32;

/** Decodes a base64url master key; returns null when it is not exactly 32 bytes. */
export function decodeMasterKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/=+$/, ''), 'base64url');
  return key.length === MASTER_KEY_BYTES ? key : null;
}

/**
 * Reads the master key file, or creates it (mode 0600, exclusive create so two processes
 * starting at once cannot write different keys) when it does not exist yet.
 */
export function loadOrCreateMasterKeyFile(path: string): { key: Buffer; created: boolean } {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, randomKey(MASTER_KEY_BYTES).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
      const key = decodeMasterKey(readFileSync(path, 'utf8'));
      if (key) return { key, created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const key = decodeMasterKey(readFileSync(path, 'utf8'));
  if (!key) throw new Error(`${path} does not hold a 32-byte base64url master key`);
  return { key, created: false };
}
