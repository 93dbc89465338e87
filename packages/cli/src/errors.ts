/**
 * A mistake of the person at the keyboard, not a fault of Keymint: said in one line on stderr
 * with exit code 1, never as "unexpected failure". Server-side mistakes (unknown ids, invalid
 * values) arrive as KeymintError and are reported the same way (main.ts).
 */
export class UserMistake extends Error {
  override name = 'UserMistake';
}

/**
 * An argument commander accepted but the command refuses (e.g. a number out of range). Printed
 * like commander's own usage errors: with a pointer to the help.
 */
export class UsageError extends UserMistake {
  override name = 'UsageError';
}
