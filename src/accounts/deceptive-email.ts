import { InvalidEmailError } from './email.js';
import { mixesScripts } from './mixed-script.js';

export interface EmailScriptRules {
  /** Allow letters beyond ASCII before the @ (each address still in one script). Off by default. */
  allow_unicode_local_part: boolean;
}

/**
 * Refuses a new account's address (already normalised) that could pass for another one: by default
 * anything but ASCII before the @, since "аdmin" with a Cyrillic а cannot be told from "admin" and
 * no maintained npm library covers UTS #39 confusable skeletons; with the switch on, local parts that mix
 * scripts. Domain labels never mix scripts (IDNs in one script, or their xn-- form, are fine).
 */
export function assertEmailNotDeceptive(email: string, rules: EmailScriptRules): void {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  if (!rules.allow_unicode_local_part && /[^\x21-\x7e]/.test(local)) {
    throw new InvalidEmailError('may only have ASCII letters, digits and symbols before the @');
  }
  if (mixesScripts(local)) throw new InvalidEmailError('mixes alphabets before the @ (for example Latin with Cyrillic)');
  if (
    email
      .slice(at + 1)
      .split('.')
      .some(mixesScripts)
  )
    throw new InvalidEmailError('mixes alphabets in its domain (for example Latin with Cyrillic)');
}
