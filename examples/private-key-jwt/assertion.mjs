import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK, SignJWT } from 'jose';

// Prints one RFC 7523 client assertion for CLIENT_ID, signed with the private JWK in FILE, for
// the token endpoint AUDIENCE (the issuer works too). Each assertion is good for one request.
const [file, clientId, audience] = process.argv.slice(2);
if (!file || !clientId || !audience) {
  console.error('usage: node examples/private-key-jwt/assertion.mjs PRIVATE_JWK_FILE CLIENT_ID TOKEN_ENDPOINT_URL');
  process.exit(1);
}
const jwk = JSON.parse(readFileSync(file, 'utf8'));
const now = Math.floor(Date.now() / 1000);
const assertion = await new SignJWT({ jti: randomUUID() })
  .setProtectedHeader({ alg: jwk.alg ?? 'ES256', kid: jwk.kid, typ: 'JWT' })
  .setIssuer(clientId)
  .setSubject(clientId)
  .setAudience(audience)
  .setIssuedAt(now)
  .setExpirationTime(now + 60)
  .sign(await importJWK(jwk, jwk.alg ?? 'ES256'));
console.log(assertion);
