import express from 'express';
import { createVerifier, expressAuth } from '@keymint/sdk/node';

// The issuer of your Keymint tenant, and the audience your API accepts (Keymint's default is {issuer}/api).
const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
const verifier = createVerifier({ issuer, audience: `${issuer}/api` });
const { requireScopes } = expressAuth({ verifier });

const app = express();

app.get('/reports', requireScopes('contacts_read'), (req, res) => {
  res.json({ client: req.auth.client_id, scope: req.auth.scope });
});

app.post('/reports', requireScopes('contacts_write'), (req, res) => {
  res.status(201).json({ created_by: req.auth.client_id });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`protected API listening on http://127.0.0.1:${server.address().port}`);
});
