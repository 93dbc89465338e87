import { InvalidRequest } from '../errors.js';
import { END_USER_LIMITS } from './model.js';

/** A new password: 8 to 256 characters (END_USER_LIMITS.password). */
export function checkPasswordShape(password: unknown, name = 'password'): string {
  const { min, max } = END_USER_LIMITS.password;
  if (typeof password !== 'string' || password.length < min || password.length > max) {
    throw new InvalidRequest(`${name} must be ${min} to ${max} characters`);
  }
  return password;
}
