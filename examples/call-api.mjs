import { createClient } from '@keymint/sdk/node';

// An app made with: npx keymint app create --name reports --scopes contacts_read --json
const { KEYMINT_CLIENT_ID: clientId, KEYMINT_CLIENT_SECRET: clientSecret } = process.env;
if (!clientId || !clientSecret) {
  console.error('set KEYMINT_CLIENT_ID and KEYMINT_CLIENT_SECRET to the app\'s client_id and client_secret');
  console.error('(npx keymint app create --name reports --scopes contacts_read --json prints both)');
  process.exit(1);
}
const client = createClient({
  issuer: process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default',
  clientId,
  clientSecret,
  scopes: ['contacts_read'],
});

// The token is fetched once, cached until shortly before it expires, and renewed on a 401.
const response = await client.fetch(`${process.env.API_URL ?? 'http://127.0.0.1:3000'}/reports`);
console.log(response.status, await response.json());
