import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '@keymint/server';

// Option parsers shared by every command group; commander turns InvalidArgumentError into a
// one-line usage error with exit code 1.

export function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

export function seconds(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === null || parsed === 0) throw new InvalidArgumentError('expected a duration such as 3600, 90s, 15m, 12h or 7d');
  return parsed;
}

/** Like `seconds`, but 0 (off) is a valid answer. */
export function secondsOrZero(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === null) throw new InvalidArgumentError('expected a duration such as 0, 10, 10s or 1m');
  return parsed;
}

export function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** A JSON file's content (e.g. a JWKS for --jwks); the service validates its shape. */
export function jsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`cannot read ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidArgumentError(`${path} is not valid JSON`);
  }
}
