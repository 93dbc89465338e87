// The page's script: one Keymint client, forms for password and code sign-in, and calls to the
// backend's /api/me through client.fetch (Bearer header or cookies, refreshed as needed).
import { createKeymintClient } from '/sdk/keymint-browser.js';

const config = await (await fetch('/config.json')).json();
const client = createKeymintClient({ issuer: config.issuer, appId: config.appId, mode: config.mode });
const log = (line) => (document.querySelector('#log').textContent = `${line}\n${document.querySelector('#log').textContent}`);
const show = () => (document.querySelector('#status').textContent = client.getUser() ? `Signed in as ${client.getUser().email}` : 'Signed out');

// Exposed for the browser tests (and the curious, from the devtools console).
window.keymint = client;
window.authEvents = [];
client.onAuthStateChange((event) => {
  window.authEvents.push(event);
  log(`${event.type}${event.reason ? ` (${event.reason})` : ''}`);
  show();
});
show();

async function guarded(run) {
  try {
    await run();
  } catch (error) {
    log(`error: ${error.error ?? ''} ${error.message}`);
  }
}

document.querySelector('#password').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const input = { email: form.get('email'), password: form.get('password') };
  guarded(() => (event.submitter.value === 'signup' ? client.signUp(input) : client.signIn(input)));
});

document.querySelector('#otp').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  guarded(async () => {
    if (event.submitter.value === 'start') {
      await client.startOtp({ email: form.get('email') });
      log('code sent: check your mail (or, in development, the Keymint server log)');
    } else {
      await client.verifyOtp({ email: form.get('email'), code: form.get('code') });
    }
  });
});

document.querySelector('#me').addEventListener('click', () => guarded(async () => {
  const response = await client.fetch('/api/me');
  log(`/api/me ${response.status} ${await response.text()}`);
}));

document.querySelector('#signout').addEventListener('click', () => guarded(() => client.signOut()));
