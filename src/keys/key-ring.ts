import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import { keySetPath, readKeySet, type PrivateKeySet } from './key-set-file.js';
import { keyView, type KeyView } from './key-schedule.js';
import { publicKeys } from './public-keys.js';

/**
 * The signing keys of a running server, following KEYS_DIR: it re-reads the key file when it changes
 * (a `keys rotate` from the CLI, the admin API or another instance) and re-evaluates the schedule as time
 * passes (a pending key starts signing, a replaced one retires), emitting 'change' with the new view.
 * Every instance reading the same file reaches the same view at the same time.
 */
export class KeyRing extends EventEmitter<{ change: [KeyView] }> {
  readonly #keysDir: string;
  readonly #auth: AuthConfig;
  readonly #log: Logger;
  #set: PrivateKeySet;
  #mtime: number;
  #view: KeyView;
  #verifyKeys: JWTVerifyGetKey;
  #timer?: NodeJS.Timeout;

  constructor(keysDir: string, auth: AuthConfig, initial: PrivateKeySet, log: Logger) {
    super();
    this.#keysDir = keysDir;
    this.#auth = auth;
    this.#log = log;
    this.#set = initial;
    this.#mtime = this.#fileTime();
    this.#view = keyView(initial, auth.jwt.algorithm);
    this.#verifyKeys = createLocalJWKSet({ keys: publicKeys({ keys: this.#view.keys }) });
  }

  view(): KeyView {
    return this.#view;
  }

  /** A jose key resolver over the published keys, for verifying our own tokens in-process. */
  readonly verificationKeys: JWTVerifyGetKey = (header, token) => this.#verifyKeys(header, token);

  start(): void {
    this.#timer = setInterval(() => this.refresh(), this.#auth.signing_keys.check_interval_seconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  refresh(now = Date.now()): void {
    try {
      const mtime = this.#fileTime();
      if (mtime !== this.#mtime) {
        this.#set = readKeySet(this.#keysDir) ?? this.#set;
        this.#mtime = mtime;
      }
      const next = keyView(this.#set, this.#auth.jwt.algorithm, now);
      if (next.fingerprint === this.#view.fingerprint) return;
      if (!next.keys.some((k) => k.alg === this.#auth.jwt.algorithm)) {
        this.#log.error(`${keySetPath(this.#keysDir)} has no usable ${this.#auth.jwt.algorithm} key; keeping the current keys`);
        return;
      }
      this.#view = next;
      this.#verifyKeys = createLocalJWKSet({ keys: publicKeys({ keys: next.keys }) });
      this.#log.info({ keys: next.fingerprint }, 'signing keys changed');
      this.emit('change', next);
    } catch (error) {
      this.#log.error({ err: error }, 'could not reload the signing keys; keeping the current ones');
    }
  }

  #fileTime(): number {
    try {
      return statSync(keySetPath(this.#keysDir)).mtimeMs;
    } catch {
      return 0;
    }
  }
}
