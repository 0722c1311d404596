import { AuthConnectError } from '../errors.js';

const MAX_EMAIL = 254;
const MAX_LOCAL = 64;
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

export class InvalidEmailError extends AuthConnectError {
  constructor(reason: string) {
    super('INVALID_EMAIL', `email ${reason}`);
    this.name = 'InvalidEmailError';
  }
}

/**
 * The one canonical form of an email address: trimmed, Unicode NFKC, lower case. Accounts are unique on
 * this form, so "Ann@X.test", "ann@x.test" and the fullwidth "ａｎｎ@x.test" are one account (NFKC folds
 * compatibility look-alikes such as fullwidth letters and ligatures; NFC would keep them apart). Control and
 * invisible format characters (zero-width, bidi overrides) are refused rather than stripped, so what a
 * person sees is what is stored. Look-alikes across scripts are refused at sign-up (deceptive-email.ts).
 */
export function normaliseEmail(input: unknown): string {
  if (typeof input !== 'string') throw new InvalidEmailError('must be a string');
  const email = input.trim().normalize('NFKC').toLowerCase().normalize('NFKC');
  if (email.length === 0) throw new InvalidEmailError('is required');
  if (email.length > MAX_EMAIL) throw new InvalidEmailError(`must be at most ${MAX_EMAIL} characters`);
  if (/[\p{C}\s]/u.test(email)) throw new InvalidEmailError('contains spaces, control or invisible characters');
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at < 1 || !domain) throw new InvalidEmailError('must look like name@example.com');
  if (local.length > MAX_LOCAL) throw new InvalidEmailError(`must have at most ${MAX_LOCAL} characters before the @`);
  if (!LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    throw new InvalidEmailError('has characters that are not allowed before the @');
  }
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) {
    throw new InvalidEmailError('must have a domain such as example.com after the @');
  }
  return email;
}
