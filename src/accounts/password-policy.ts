import { AuthConnectError } from '../errors.js';
import type { PasswordPolicy } from '../config/types.js';
import { normalisePassword } from './password-hashing.js';

export interface PolicyViolation {
  rule: 'min_length' | 'max_length' | 'require_uppercase' | 'require_lowercase' | 'require_digit' | 'require_special' | 'not_a_string';
  message: string;
}

export class WeakPasswordError extends AuthConnectError {
  readonly violations: PolicyViolation[];
  constructor(violations: PolicyViolation[]) {
    super('WEAK_PASSWORD', `password must have ${violations.map((v) => v.message).join(', ')}`);
    this.name = 'WeakPasswordError';
    this.violations = violations;
    this.details = { rules: violations.map((v) => v.rule) };
  }
}

/** Every rule of the configured policy that `password` does not meet (empty when it is acceptable). */
export function checkPasswordPolicy(input: unknown, policy: PasswordPolicy): PolicyViolation[] {
  if (typeof input !== 'string') return [{ rule: 'not_a_string', message: 'a text value' }];
  const password = normalisePassword(input); // the rules judge what is hashed
  const length = [...password].length;
  const violations: PolicyViolation[] = [];
  if (length < policy.min_length) violations.push({ rule: 'min_length', message: `at least ${policy.min_length} characters` });
  if (length > policy.max_length) violations.push({ rule: 'max_length', message: `at most ${policy.max_length} characters` });
  if (policy.require_uppercase && !/\p{Lu}/u.test(password)) violations.push({ rule: 'require_uppercase', message: 'an uppercase letter' });
  if (policy.require_lowercase && !/\p{Ll}/u.test(password)) violations.push({ rule: 'require_lowercase', message: 'a lowercase letter' });
  if (policy.require_digit && !/\p{Nd}/u.test(password)) violations.push({ rule: 'require_digit', message: 'a digit' });
  if (policy.require_special && !/[^\p{L}\p{N}]/u.test(password)) violations.push({ rule: 'require_special', message: 'a special character' });
  return violations;
}

export function assertPasswordPolicy(password: unknown, policy: PasswordPolicy): asserts password is string {
  const violations = checkPasswordPolicy(password, policy);
  if (violations.length) throw new WeakPasswordError(violations);
}
