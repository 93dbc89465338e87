import { readFileSync } from 'node:fs';
import { createClient } from '@keymint/sdk/node';

// A private_key_jwt app: no secret anywhere, only the app's private key (KEYMINT_PRIVATE_JWK, a file).
const { KEYMINT_CLIENT_ID: clientId, KEYMINT_PRIVATE_JWK: keyFile } = process.env;
if (!clientId || !keyFile) {
  console.error('set KEYMINT_CLIENT_ID to the app\'s client_id and KEYMINT_PRIVATE_JWK to its private JWK file');
  process.exit(1);
}
const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
const client = createClient({
  issuer,
  clientId,
  // The JWK's kid and alg say which registered key signs; each token request gets a fresh assertion.
  privateKey: { key: JSON.parse(readFileSync(keyFile, 'utf8')) },
  scopes: ['contacts_read'],
});

const response = await client.fetch(`${issuer}/api/v1/contacts`);
console.log(response.status, JSON.stringify(await response.json()));
