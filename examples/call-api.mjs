import { createClient } from '@keymint/sdk/node';

// An app made with: npx keymint app create --name reports --scopes contacts_read --json
const client = createClient({
  issuer: process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default',
  clientId: process.env.KEYMINT_CLIENT_ID,
  clientSecret: process.env.KEYMINT_CLIENT_SECRET,
  scopes: ['contacts_read'],
});

// The token is fetched once, cached until shortly before it expires, and renewed on a 401.
const response = await client.fetch(`${process.env.API_URL ?? 'http://127.0.0.1:3000'}/reports`);
console.log(response.status, await response.json());
