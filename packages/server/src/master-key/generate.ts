import { masterKeyId } from '../crypto/keyring.js';
import { MASTER_KEY_BYTES } from '../crypto/master-key.js';
import { randomKey } from '../crypto/random.js';

/** `keymint master-key generate`: a new key for KEYMINT_MASTER_KEY (base64url) and its key id. */
export function generateMasterKey(): { key: string; keyId: string } {
  const key = randomKey(MASTER_KEY_BYTES);
  return { key: key.toString('base64url'), keyId: masterKeyId(key) };
}
