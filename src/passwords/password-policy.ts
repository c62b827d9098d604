import { dictionary } from '@zxcvbn-ts/language-common';
import { BadRequest } from '../errors.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

// ~49k passwords from leaked-password corpora, maintained by the zxcvbn-ts project.
const commonPasswords = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

export type PasswordRule = 'min_length' | 'max_length' | 'common' | 'contains_username' | 'character_classes';

export interface PolicyOptions {
  username?: string;
  requireClasses?: boolean;
}

export interface PolicyFailure {
  rule: PasswordRule;
  message: string;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords.has(password.toLowerCase());
}

/** The first rule the password breaks, or null when it is acceptable. */
export function checkPassword(typed: string, options: PolicyOptions = {}): PolicyFailure | null {
  // Judged as it is stored: in NFKC, like the hash (see password.ts).
  const password = typed.normalize('NFKC');
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return { rule: 'min_length', message: `Password must be at least ${PASSWORD_MIN_LENGTH} characters` };
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return { rule: 'max_length', message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters` };
  }
  if (isCommonPassword(password)) {
    return { rule: 'common', message: 'Password is too common; choose one that is not on lists of leaked passwords' };
  }
  const username = options.username?.trim().toLowerCase();
  if (username && password.toLowerCase().includes(username)) {
    return { rule: 'contains_username', message: 'Password must not contain the username' };
  }
  if (options.requireClasses && !hasAllClasses(password)) {
    return {
      rule: 'character_classes',
      message: 'Password must contain an uppercase letter, a lowercase letter, a digit and a symbol',
    };
  }
  return null;
}

function hasAllClasses(password: string): boolean {
  return /\p{Lu}/u.test(password) && /\p{Ll}/u.test(password) && /\p{Nd}/u.test(password) && /[^\p{L}\p{Nd}]/u.test(password);
}

/** The policy as input validation: a 400 naming `field` and the rule that failed. */
export function assertPasswordAllowed(password: string, options: PolicyOptions & { field?: string } = {}): void {
  const failure = checkPassword(password, options);
  const field = options.field ?? 'password';
  if (failure) throw new BadRequest(failure.message, { [field]: failure.message });
}
