import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

// Makes an app key pair for private_key_jwt: DIR/KID.private.jwk (keep it with the app, never
// send it anywhere) and DIR/KID.jwks.json (the public half, to register on the app).
const [dir, kid] = process.argv.slice(2);
if (!dir || !kid) {
  console.error('usage: node examples/private-key-jwt/generate-key.mjs DIR KID');
  process.exit(1);
}
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
writeFileSync(join(dir, `${kid}.private.jwk`), JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' }), { mode: 0o600 });
writeFileSync(join(dir, `${kid}.jwks.json`), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }));
console.log(`wrote ${join(dir, `${kid}.private.jwk`)} and ${join(dir, `${kid}.jwks.json`)}`);
