// Asks Keymint whether the key in argv[2] may make one call that needs contacts_read.
const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
const credentials = Buffer.from(`${process.env.GATEWAY_CLIENT_ID}:${process.env.GATEWAY_CLIENT_SECRET}`).toString('base64');

export async function verifyKey(key, scopes = [], cost = 1) {
  const response = await fetch(`${issuer}/v1/keys/verify`, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key, scopes, cost }),
  });
  // 401: this gateway's own credentials are wrong; 503: the limit store is down (fail closed).
  if (!response.ok) throw new Error(`verify API answered ${response.status}`);
  return response.json();
}

const answer = await verifyKey(process.argv[2], ['contacts_read']);
// Map the answer to your API's status: 401 for unknown keys, 429 for spent limits, 403 for scopes.
const status = answer.valid ? 200 : { RATE_LIMITED: 429, USAGE_EXCEEDED: 429, INSUFFICIENT_SCOPE: 403 }[answer.code] ?? 401;
console.log(status, answer.code);
