import { EventEmitter } from 'node:events';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { PrivateKeySet } from './key-set-file.js';
import { keyView, type KeyView } from './key-schedule.js';
import { publicKeys } from './public-keys.js';

/** Runs `task` every `ms` until the returned function is called; tests pass one they drive by hand. */
export type Repeat = (ms: number, task: () => void) => () => void;

const realRepeat: Repeat = (ms, task) => {
  const timer = setInterval(task, ms);
  timer.unref();
  return () => clearInterval(timer);
};

export interface KeyRingOptions {
  auth: AuthConfig;
  log: Logger;
  /** The key set as it starts. */
  initial: PrivateKeySet;
  /** Reads the key set again (from the database); every check interval, on a notification, after a local rotation. */
  load: () => Promise<PrivateKeySet>;
  /** The time the schedule is read at; injected so tests can move through a rotation without waiting. */
  now?: () => number;
  repeat?: Repeat;
}

/**
 * The signing keys of a running server: it reads the key set again every signing_keys.check_interval_seconds
 * (and sooner when told: a notification, a rotation made here) and re-evaluates the schedule as time passes
 * (a pending key starts signing, a replaced one retires), emitting 'change' with the new view. The periodic
 * read alone is enough to follow a rotation made anywhere; notifications only shorten the wait. Every
 * instance reading the same keys and schedule reaches the same view within one check interval.
 */
export class KeyRing extends EventEmitter<{ change: [KeyView] }> {
  readonly #auth: AuthConfig;
  readonly #log: Logger;
  readonly #load: () => Promise<PrivateKeySet>;
  readonly #now: () => number;
  readonly #repeat: Repeat;
  #set: PrivateKeySet;
  #view: KeyView;
  #verifyKeys: JWTVerifyGetKey;
  #stop?: () => void;
  /** The refresh under way, and whether another was asked for meanwhile (it must read what changed after ours started). */
  #running?: Promise<void>;
  #again = false;

  constructor(options: KeyRingOptions) {
    super();
    this.#auth = options.auth;
    this.#log = options.log;
    this.#load = options.load;
    this.#now = options.now ?? Date.now;
    this.#repeat = options.repeat ?? realRepeat;
    this.#set = options.initial;
    this.#view = keyView(options.initial, options.auth.jwt.algorithm, this.#now());
    this.#verifyKeys = createLocalJWKSet({ keys: publicKeys({ keys: this.#view.keys }) });
  }

  view(): KeyView {
    return this.#view;
  }

  /** A jose key resolver over the published keys, for verifying our own tokens in-process. */
  readonly verificationKeys: JWTVerifyGetKey = (header, token) => this.#verifyKeys(header, token);

  start(): void {
    this.#stop = this.#repeat(this.#auth.signing_keys.check_interval_seconds * 1000, () => void this.refresh());
  }

  stop(): void {
    this.#stop?.();
  }

  /** Reads the key set again and applies the schedule at the current time; never rejects (a failed read keeps the current keys). */
  refresh(): Promise<void> {
    this.#again = true;
    this.#running ??= (async () => {
      try {
        while (this.#again) {
          this.#again = false;
          await this.#reload();
        }
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #reload(): Promise<void> {
    try {
      this.#set = await this.#load();
    } catch (error) {
      this.#log.error({ err: error }, `could not read the signing keys: ${(error as Error).message}; keeping the current ones`);
    }
    this.evaluate();
  }

  /** Applies the schedule to the keys already read: what changes with time alone. */
  evaluate(): void {
    const next = keyView(this.#set, this.#auth.jwt.algorithm, this.#now());
    if (next.fingerprint === this.#view.fingerprint) return;
    if (!next.keys.some((k) => k.alg === this.#auth.jwt.algorithm)) {
      this.#log.error(`the signing keys have no usable ${this.#auth.jwt.algorithm} key; keeping the current keys`);
      return;
    }
    this.#view = next;
    this.#verifyKeys = createLocalJWKSet({ keys: publicKeys({ keys: next.keys }) });
    this.#log.info({ keys: next.fingerprint }, 'signing keys changed');
    this.emit('change', next);
  }
}
