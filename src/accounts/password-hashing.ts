import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import type { Argon2Settings } from '../config/types.js';
import { boundedConcurrency } from '../util/bounded-concurrency.js';

/**
 * argon2 runs on libuv's thread pool. Bounding how many hashes run and wait keeps the pool free for
 * everything else and turns overload into quick 503s (OverloadedError) instead of growing latency.
 */
const runHash = boundedConcurrency('password checks', Math.max(2, availableParallelism()), 64);

/**
 * Throws OverloadedError (503, Retry-After) when a password check now would be refused: a sign-in calls it
 * before its throttle and account reads, so an overloaded server refuses without touching the database.
 */
export function refuseWhenPasswordChecksFull(): void {
  runHash.assertRoom();
}

export interface VerifyResult {
  valid: boolean;
  /** The stored hash was made with weaker settings (or another algorithm) than configured now. */
  needsRehash: boolean;
}

/**
 * NIST SP 800-63B §5.1.1.2: the same password typed with composed or decomposed accents (NFC / NFD,
 * which keyboards and operating systems differ on) is the same password. Hashes are made from NFC.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFC');
}

export function hashPassword(password: string, settings: Argon2Settings): Promise<string> {
  return runHash(() =>
    argon2.hash(normalisePassword(password), {
      type: argon2.argon2id,
      memoryCost: settings.memory_kib,
      timeCost: settings.iterations,
      parallelism: settings.parallelism,
    }),
  );
}

/**
 * Checks the NFC form; hashes made before passwords were normalised hold the password as it was typed,
 * so when the NFC form fails and differs, the typed form is tried once and a match asks for a rehash
 * (made from NFC). Only passwords that change under NFC pay the second check.
 */
export async function verifyPassword(storedHash: string, password: string, settings: Argon2Settings): Promise<VerifyResult> {
  const normalised = normalisePassword(password);
  if (await matches(storedHash, normalised)) return { valid: true, needsRehash: isWeakerThan(storedHash, settings) };
  if (normalised !== password && (await matches(storedHash, password))) return { valid: true, needsRehash: true };
  return { valid: false, needsRehash: false };
}

async function matches(storedHash: string, password: string): Promise<boolean> {
  try {
    return await runHash(() => argon2.verify(storedHash, password));
  } catch (error) {
    if ((error as Error).name === 'OverloadedError') throw error;
    return false; // a malformed stored hash never matches
  }
}

/** One per cost: a server's check must cost what its real ones do (several servers may share a process, as in the tests). */
const dummyHashes = new Map<string, Promise<string>>();

/**
 * Spends the same time as a real check, for logins with an unknown email, so response time does not
 * tell whether an account exists.
 */
export async function verifyAgainstDummy(password: string, settings: Argon2Settings): Promise<void> {
  const key = `${settings.memory_kib}/${settings.iterations}/${settings.parallelism}`;
  let dummyHash = dummyHashes.get(key);
  if (!dummyHash) {
    dummyHash = hashPassword('auth-connect dummy password', settings);
    dummyHashes.set(key, dummyHash);
  }
  await verifyPassword(await dummyHash, password, settings);
}

/** Reads the parameters a PHC-format argon2 hash carries, e.g. $argon2id$v=19$m=19456,t=2,p=1$salt$hash (any order). */
export function hashParameters(storedHash: string): { algorithm: string; memoryKib: number; iterations: number; parallelism: number } | undefined {
  const match = /^\$(argon2(?:id|i|d))\$v=\d+\$([a-z]=\d+(?:,[a-z]=\d+)*)\$/.exec(storedHash);
  if (!match) return undefined;
  const params = Object.fromEntries(match[2]!.split(',').map((pair) => pair.split('=') as [string, string]));
  if (!params.m || !params.t || !params.p) return undefined;
  return { algorithm: match[1]!, memoryKib: Number(params.m), iterations: Number(params.t), parallelism: Number(params.p) };
}

function isWeakerThan(storedHash: string, settings: Argon2Settings): boolean {
  const current = hashParameters(storedHash);
  if (current?.algorithm !== 'argon2id') return true;
  return current.memoryKib < settings.memory_kib || current.iterations < settings.iterations || current.parallelism < settings.parallelism;
}
