import { basic, postForm } from './harness.js';

/** A client-credentials token from `issuer`'s token endpoint; fails the test on anything but 200. */
export async function fetchToken(issuer: string, clientId: string, clientSecret: string, form: Record<string, string> = {}): Promise<string> {
  const response = await postForm(`${issuer}/oauth/token`, { grant_type: 'client_credentials', ...form }, { authorization: basic(clientId, clientSecret) });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

/** POSTs `token` to the introspection endpoint as the given client. */
export function introspect(issuer: string, clientId: string, clientSecret: string, token: string) {
  return postForm(`${issuer}/oauth/introspect`, { token }, { authorization: basic(clientId, clientSecret) });
}

export function revoke(issuer: string, clientId: string, clientSecret: string, token: string) {
  return postForm(`${issuer}/oauth/revoke`, { token }, { authorization: basic(clientId, clientSecret) });
}
