// The backend of an app whose users sign in with Keymint: serves the page and the browser SDK,
// and answers GET /api/me for the signed-in user, verifying the access token locally with
// @keymint/sdk/node (Bearer header in bearer mode, the HTTP-only cookie in cookie mode).
// Run: KEYMINT_ISSUER=http://127.0.0.1:8080/t/default KEYMINT_APP_ID=app_… node examples/end-users/server.mjs
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { bearerErrorResponse, createAuthTokenVerifier, VerifierError } from '@keymint/sdk/node';

const here = new URL('.', import.meta.url);
const STATIC = {
  '/': ['public/index.html', 'text/html; charset=utf-8'],
  '/app.js': ['public/app.js', 'text/javascript; charset=utf-8'],
};

/** Starts the example app; resolves to its URL and a close function. */
export async function startExampleApp({ issuer, appId, mode = 'bearer', host = '127.0.0.1', port = 3000, revocationPollMs = 5000 }) {
  const auth = createAuthTokenVerifier({ issuer, appId, revocationPollMs });
  // The SDK's browser entry point is one dependency-free ES module: serve the built file as is.
  const sdkFile = fileURLToPath(import.meta.resolve('@keymint/sdk/browser'));

  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const send = (status, type, body, headers = {}) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      response.end(body);
    };
    try {
      if (request.method === 'GET' && STATIC[path]) {
        const [file, type] = STATIC[path];
        return send(200, type, await readFile(new URL(file, here)));
      }
      if (request.method === 'GET' && path === '/sdk/keymint-browser.js') return send(200, 'text/javascript; charset=utf-8', await readFile(sdkFile));
      if (request.method === 'GET' && path === '/config.json') return send(200, 'application/json', JSON.stringify({ issuer, appId, mode }));
      if (request.method === 'GET' && path === '/api/me') {
        try {
          const { userId, sessionId, expiration } = await auth.tokenFromRequest(request);
          return send(200, 'application/json', JSON.stringify({ user_id: userId, session_id: sessionId, token_expires_at: expiration }));
        } catch (error) {
          // 401 invalid_token (expired: the client refreshes and retries), 400, or 503 if Keymint's keys are unreachable.
          if (!(error instanceof VerifierError)) throw error;
          const failure = bearerErrorResponse(error, 'example-app');
          return send(failure.status, 'application/json', JSON.stringify(failure.body), failure.headers);
        }
      }
      return send(404, 'application/json', JSON.stringify({ error: 'not_found' }));
    } catch {
      return send(500, 'application/json', JSON.stringify({ error: 'server_error' }));
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    async close() {
      auth.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
  const appId = process.env.KEYMINT_APP_ID;
  if (!appId) {
    console.error('set KEYMINT_APP_ID to the tenant app id (npx keymint tenant list --json)');
    process.exit(1);
  }
  const app = await startExampleApp({ issuer, appId, mode: process.env.KEYMINT_MODE ?? 'bearer', port: Number(process.env.PORT ?? 3000) });
  console.log(`example app on ${app.url} (issuer ${issuer}); add ${app.url} to the tenant's allowed origins`);
}
