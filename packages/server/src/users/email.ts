import { InvalidRequest } from '../errors.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

/**
 * The one form of an email address Keymint stores, looks up, budgets and mails to: trimmed,
 * Unicode NFC (RFC 6532 §3.1: `zoë` precomposed and decomposed are the same address), then
 * lowercased (and NFC again, since case mapping may decompose). InvalidRequest when it is not an
 * email address.
 */
export function normalizeEmail(email: unknown): string {
  const shown = displayEmail(email);
  return shown.toLowerCase().normalize('NFC');
}

/** The address as the person typed it, trimmed and in NFC: what tokens and mails show. */
export function displayEmail(email: unknown): string {
  if (typeof email !== 'string') throw new InvalidRequest('email must be a string');
  const trimmed = email.trim().normalize('NFC');
  if (trimmed.length > 320 || !EMAIL.test(trimmed)) throw new InvalidRequest('email is not an email address');
  return trimmed;
}
