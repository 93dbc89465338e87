// A page whose end-user session is DPoP-bound (docs/dpop.md "End-user sessions in the browser").
import { createKeymintClient } from '/sdk/keymint-browser.js';

// Served by the app's backend: the tenant's issuer and public app id.
const { issuer, appId } = await (await fetch('/config.json')).json();

// dpop: true makes an ES256 key pair with WebCrypto (the private key is not extractable) and keeps
// it in IndexedDB, so a reload keeps the session's key; signOut() deletes it. Sign-in, sign-up and
// every refresh carry a DPoP proof: the session is bound to the key.
const keymint = createKeymintClient({ issuer, appId, dpop: true });

// keymint.fetch sends the bound token as `Authorization: DPoP` with a fresh proof (ath) per
// request, and once more with the server's nonce when a 401 asks for one.
async function whoAmI() {
  const response = await keymint.fetch(`${issuer}/auth/session`);
  return response.ok ? (await response.json()).user : null;
}

globalThis.keymint = keymint;
globalThis.whoAmI = whoAmI;
