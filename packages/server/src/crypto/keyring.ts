import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { open as openV1, SealError } from './seal.js';

/**
 * A master key with its id: the first 12 hex digits of SHA-256 over a label and the key. The id
 * names a key in sealed values, file names and CLI output without revealing anything usable
 * (the key has 256 bits of entropy; the label keeps the hash from matching any other use).
 */
export interface MasterKey {
  id: string;
  key: Buffer;
}

export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('keymint master key id\0').update(key).digest('hex').slice(0, 12);
}

export function toMasterKey(key: Buffer): MasterKey {
  return { id: masterKeyId(key), key };
}

const VERSION = 'v2';

/**
 * The master keys a node holds (docs/operations.md "Rotating the master key"): the current key
 * (KEYMINT_MASTER_KEY or data/master.key) seals; older keys (KEYMINT_MASTER_KEY_PREVIOUS, or the
 * retired key files) still open. A sealed value records the id of the key that sealed it
 * (`v2.<key id>.<iv>.<ciphertext>.<tag>`, AES-256-GCM, the context bound as additional data), so
 * opening picks the right key and a rotation knows what is left to re-seal. Values sealed before
 * key ids existed (`v1.…`) are tried against every key.
 *
 * `reload`, when given (file-based keys), re-reads the keys once when a value names a key this
 * node does not hold: another process rotated the file while this one was serving.
 */
export class MasterKeyring {
  private byId: Map<string, MasterKey>;

  constructor(
    private currentKey: MasterKey,
    private previousKeys: MasterKey[] = [],
    private readonly reload?: () => { current: MasterKey; previous: MasterKey[] },
  ) {
    this.byId = MasterKeyring.index(currentKey, previousKeys);
  }

  private static index(current: MasterKey, previous: MasterKey[]): Map<string, MasterKey> {
    const byId = new Map<string, MasterKey>();
    for (const key of [...previous, current]) byId.set(key.id, key);
    return byId;
  }

  get current(): MasterKey {
    return this.currentKey;
  }

  /** Every key held, current first. */
  get keys(): MasterKey[] {
    return [this.currentKey, ...this.previousKeys.filter((k) => k.id !== this.currentKey.id)];
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.currentKey.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.currentKey.id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** Throws SealError when no key held opens the value (naming the key id it was sealed with). */
  open(sealed: string, context: string): string {
    const keyId = sealedBy(sealed);
    if (keyId === null) return this.openLegacy(sealed, context);
    let key = this.byId.get(keyId);
    if (!key && this.reload) {
      this.refresh();
      key = this.byId.get(keyId);
    }
    if (!key) throw new SealError(`sealed under master key ${keyId}, which this node does not hold (KEYMINT_MASTER_KEY / KEYMINT_MASTER_KEY_PREVIOUS)`);
    const [, , iv, ciphertext, tag] = sealed.split('.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv!, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError(`sealed value does not open with master key ${keyId}`);
    }
  }

  /** Re-reads file-based keys (a rotation by another process); a no-op for keys from the environment. */
  refresh(): void {
    if (!this.reload) return;
    const { current, previous } = this.reload();
    this.currentKey = current;
    this.previousKeys = previous;
    this.byId = MasterKeyring.index(current, previous);
  }

  private openLegacy(sealed: string, context: string): string {
    for (const key of this.keys) {
      try {
        return openV1(key.key, sealed, context);
      } catch {
        // the next key may be the one
      }
    }
    throw new SealError('sealed value does not open with any master key held (KEYMINT_MASTER_KEY / KEYMINT_MASTER_KEY_PREVIOUS)');
  }
}

/** The id of the key that sealed a value, or null for a value sealed before key ids (`v1.…`). */
export function sealedBy(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts[0] === VERSION && parts.length === 5 ? parts[1]! : null;
}
