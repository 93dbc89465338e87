import { InvalidTokenError } from './errors.js';

/**
 * RFC 7515 §7.1: a compact JWS is three base64url segments (RFC 7515 §2: no padding, no other
 * characters). jose's decoder on Node 20 also takes `=` padding and skips whitespace; refusing
 * anything else here means one token has one spelling, and a verifier never agrees to a text
 * another parser would read differently. The signature may be empty only so that `alg: none`
 * is reported as the algorithm it is.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Refuses, before any key lookup or signature check, a token that is not strictly a compact JWS
 * or whose header or claims set repeats a member name. RFC 7519 §4 lets a parser keep the last
 * duplicate, but then two parsers can see two different `aud` or `scope` values in one signed
 * token (a parser differential): Keymint never issues duplicates, so a token with them is refused.
 */
export function assertStrictCompactJws(token: string): void {
  if (!COMPACT_JWS.test(token)) throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token is not a compact JWS of three base64url segments');
  const [header, payload] = token.split('.') as [string, string];
  for (const [segment, what] of [[header, 'header'], [payload, 'claims set']] as const) {
    if (hasDuplicateMemberNames(Buffer.from(segment, 'base64url').toString('utf8'))) {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the token's ${what} repeats a member name`);
    }
  }
}

/**
 * True when some object in this JSON text has two members of the same name (after unescaping,
 * so `"aud"` and `"\u0061ud"` are one name). Text that is not JSON returns false: the JSON
 * parser that runs next refuses it with its own error.
 */
export function hasDuplicateMemberNames(json: string): boolean {
  // One entry per open container: the names seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const raw = json.slice(i, end + 1);
      i = end + 1;
      const names = stack[stack.length - 1];
      if (names && expectName) {
        let name: string;
        try {
          name = JSON.parse(raw) as string;
        } catch {
          return false;
        }
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      continue;
    }
    if (c === '{') {
      stack.push(new Set());
      expectName = true;
    } else if (c === '[') {
      stack.push(null);
      expectName = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectName = false;
    } else if (c === ',') {
      expectName = stack[stack.length - 1] instanceof Set;
    }
    i += 1;
  }
  return false;
}
