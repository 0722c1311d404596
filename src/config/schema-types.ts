// Generated from config/schema/*.json by `npm run config:types`; do not edit (change the schema instead).

export interface AuthConfigDocument {
  $schema?: string;
  jwt: {
    /**
     * Signing algorithm of access tokens. HS* is refused: APIs verify tokens through the JWKS, which cannot carry a shared secret.
     */
    algorithm: 'ES256' | 'RS256' | 'PS256' | 'EdDSA';
    access_token_expire_minutes: number;
    refresh_token_expire_days: number;
  };
  password: {
    min_length: number;
    /**
     * Longer passwords are refused before hashing, so nobody can make the server hash a megabyte.
     */
    max_length: number;
    require_uppercase: boolean;
    require_lowercase: boolean;
    require_digit: boolean;
    require_special: boolean;
    /**
     * argon2id cost. The minimum is OWASP's (19 MiB, 2 passes, 1 lane); hashes made with weaker settings are re-made at the next login.
     */
    argon2: {
      memory_kib: number;
      iterations: number;
      parallelism: number;
    };
  };
  /**
   * Lifetimes of personal API keys: a key created without expires_in_days lives default_lifetime_days; none may live longer than max_lifetime_days.
   */
  api_keys: {
    default_lifetime_days: number;
    max_lifetime_days: number;
  };
  session: {
    max_sessions_per_user: number;
    session_timeout_minutes: number;
  };
  server: {
    port: number;
    host: string;
    /**
     * Public URL of this server; defaults to http://localhost:PORT.
     */
    issuer?: string;
    /**
     * Trust X-Forwarded-* headers. Turn on only behind a reverse proxy that sets them.
     */
    trust_proxy: boolean;
    organization_name: string;
  };
  registration: {
    enabled: boolean;
    default_role: string;
    /**
     * Refuse sign-in (EMAIL_NOT_VERIFIED, 403) until the user has confirmed their address through the emailed link; the answer offers a new link.
     */
    require_verified_email: boolean;
  };
  email: {
    /**
     * Allow non-ASCII letters before the @ in new accounts' emails. Off by default: a Cyrillic 'а' cannot be told from a Latin 'a'. When on, each address must still keep to one script (UTS #39 'highly restrictive').
     */
    allow_unicode_local_part: boolean;
  };
  /**
   * The mail outbox (src/mail/): each instance's worker looks for due mail every poll_seconds (and at once when it wrote one itself); a failed send is retried after retry_initial_seconds, doubling up to retry_max_seconds, until max_attempts, after which the mail is marked failed (it stays listed). SMTP_URL and MAIL_FROM come from the environment.
   */
  mail: {
    poll_seconds: number;
    retry_initial_seconds: number;
    retry_max_seconds: number;
    max_attempts: number;
    send_timeout_seconds: number;
    /**
     * Mail the user when they sign in from a browser or client that has not signed in to the account before (no valid device cookie or device_token). Off by default: a client that does not keep its device_token would mail the user at every sign-in.
     */
    new_device_notice: boolean;
  };
  /**
   * The APIs access tokens are issued for (resource indicators, RFC 8707). The first is the default, used when a client sends no resource parameter. The permissions of roles.json are their scopes.
   *
   * @minItems 1
   */
  resources: {
    /**
     * An absolute URI without fragment, e.g. https://api.example.com or urn:example:api; it becomes the tokens' aud.
     */
    identifier: string;
    name?: string;
  }[];
  /**
   * Every password check (login page, POST /api/auth/login, change-password) and every second-factor code (the login page's second step, POST /api/auth/mfa/verify) takes a token from buckets that refill continuously; with a bucket empty the check is not made and the answer is 429 with Retry-After. Sources that signed in to the account before (a device cookie or device_token, or the calling session for change-password) use their own bucket, so an attacker who knows only the email cannot keep the real user out. See SECURITY.md.
   */
  login_throttle: {
    /**
     * Wrong-password budget of one account (keyed by the email typed, whether or not the account exists) for sources it does not know.
     */
    per_account: {
      /**
       * Guesses allowed at once when the bucket is full.
       */
      burst: number;
      /**
       * Guesses the bucket regains per hour (continuously: one every 3600/per_hour seconds).
       */
      per_hour: number;
    };
    /**
     * Wrong-password budget of one client address (IPv6: its /64) over all accounts, for sources the account does not know.
     */
    per_address: {
      /**
       * Guesses allowed at once when the bucket is full.
       */
      burst: number;
      /**
       * Guesses the bucket regains per hour (continuously: one every 3600/per_hour seconds).
       */
      per_hour: number;
    };
    /**
     * Wrong-password budget of one known device of one account; when it runs out the device counts as unknown.
     */
    known_device: {
      /**
       * Guesses allowed at once when the bucket is full.
       */
      burst: number;
      /**
       * Guesses the bucket regains per hour (continuously: one every 3600/per_hour seconds).
       */
      per_hour: number;
    };
    /**
     * How long a device token stays valid after the last successful sign-in with it.
     */
    known_device_days: number;
  };
  /**
   * Requests per minute from one IP address to the login and registration endpoints and to the device flow's code entry; beyond it, 429 with Retry-After.
   */
  rate_limit: {
    login_per_minute: number;
    register_per_minute: number;
    /**
     * Device flow: codes entered (and confirmed) per minute from one IP address; guessing another user's code needs far more.
     */
    user_code_per_minute: number;
    /**
     * Requests per minute from one IP address to forgot-password and to the resending of verification links.
     */
    password_reset_per_minute: number;
    /**
     * Reset and verification links sent to one address per hour; further requests get the same answer but send nothing.
     */
    mails_per_email_per_hour: number;
  };
  /**
   * Key rotation: a new key is published in /jwks prepublish_seconds before it signs (keep it above the JWKS cache age of your APIs); the key it replaces stays published retire_after_seconds after that (default: the access-token lifetime plus 5 minutes). Running servers read the keys from the database every check_interval_seconds (and at once on a Postgres notification), so a rotation made on any instance is followed within that time.
   */
  signing_keys: {
    prepublish_seconds: number;
    retire_after_seconds?: number;
    check_interval_seconds: number;
  };
  /**
   * Work each instance does beside requests. Expired OIDC rows (codes, tokens and sessions past their expiry and a 10-minute grace) are first removed first_cleanup_seconds after the start, then every 10 minutes. Registered clients are cached once a probe notification sent through the pool has come back on the instance's listening connection within notification_probe_seconds; where none comes back (the embedded database, PgBouncer in transaction mode), every lookup reads the clients table. The project's round-trip tests move both out of the way of what they count.
   */
  background_work: {
    first_cleanup_seconds: number;
    notification_probe_seconds: number;
  };
  pages: {
    /**
     * Language of the pages (login, consent, sign-out, device, error, landing) when neither ui_locales, the language cookie nor Accept-Language names one the server has.
     */
    default_locale: 'en' | 'de';
  };
  tokens: {
    /**
     * A client that presents a refresh token it already rotated, within this many seconds and before the successor was used, gets the successor already issued again (its answer was lost, e.g. to a dropped connection), instead of reuse detection revoking the grant. 0 turns the window off: every reuse revokes.
     */
    refresh_token_reuse_grace_seconds: number;
  };
  /**
   * Second factors (README, Two-factor and passkeys): who must have one. A user who must and has none is sent through enrolment after the password (pages) or answered MFA_ENROLLMENT_REQUIRED (JSON API). Whoever has a second factor is always asked for it.
   */
  mfa: {
    /**
     * Roles whose users must sign in with a second factor; the production checklist recommends ["admin"].
     */
    required_for_roles: string[];
    /**
     * Every user must sign in with a second factor.
     */
    required_for_all: boolean;
  };
}

export interface RolesDocument {
  $schema?: string;
  roles: {
    [k: string]: {
      description?: string;
      permissions: string[];
    };
  };
  /**
   * Optional: what each permission allows, in a few words; the consent page shows it to users.
   */
  permissions?: {
    [k: string]: string;
  };
}

export interface ClientsDocument {
  $schema?: string;
  clients: {
    client_id: string;
    client_name?: string;
    /**
     * @minItems 1
     */
    grant_types: ('authorization_code' | 'refresh_token' | 'client_credentials' | 'urn:ietf:params:oauth:grant-type:device_code')[];
    redirect_uris: string[];
    post_logout_redirect_uris: string[];
    token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
    /**
     * sha256:<base64url> of the client secret, as `auth-connect client hash-secret` prints it. The secret itself is never stored.
     */
    client_secret_hash?: string;
    jwks_uri?: string;
    jwks?: {
      keys: unknown[];
    };
    first_party: boolean;
    /**
     * A client_credentials client: what it may receive. A user-facing client: when not empty, the most its tokens carry.
     */
    permissions: string[];
    /**
     * An API that may introspect tokens issued to other clients (others see only their own).
     */
    resource_server: boolean;
  }[];
}
