export type SigningAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

export interface AuthConfig {
  jwt: { algorithm: SigningAlgorithm; access_token_expire_minutes: number; refresh_token_expire_days: number };
  /** How a retried refresh is answered (src/oidc/refresh-retry.ts). */
  tokens: { refresh_token_reuse_grace_seconds: number };
  password: {
    min_length: number;
    max_length: number;
    require_uppercase: boolean;
    require_lowercase: boolean;
    require_digit: boolean;
    require_special: boolean;
    argon2: Argon2Settings;
  };
  session: { max_sessions_per_user: number; session_timeout_minutes: number };
  api_keys: { default_lifetime_days: number; max_lifetime_days: number };
  server: { port: number; host: string; issuer?: string; trust_proxy: boolean; organization_name: string };
  registration: { enabled: boolean; default_role: string };
  login_throttle: LoginThrottleSettings;
  /** Rules for new accounts' emails (accounts/deceptive-email.ts). */
  email: { allow_unicode_local_part: boolean };
  rate_limit: { login_per_minute: number; register_per_minute: number; user_code_per_minute: number };
  signing_keys: { prepublish_seconds: number; retire_after_seconds?: number; check_interval_seconds: number };
  /** The pages' language when the request names none we have (src/i18n). */
  pages: { default_locale: 'en' | 'de' };
  /** The first is the default resource. */
  resources: { identifier: string; name?: string }[];
}

export type PasswordPolicy = AuthConfig['password'];

/** A token bucket: `burst` guesses at once, refilled at `per_hour`. */
export interface BucketSettings {
  burst: number;
  per_hour: number;
}

export interface LoginThrottleSettings {
  per_account: BucketSettings;
  per_address: BucketSettings;
  known_device: BucketSettings;
  known_device_days: number;
}

export interface Argon2Settings {
  memory_kib: number;
  iterations: number;
  parallelism: number;
}

export interface RoleDefinition {
  description?: string;
  permissions: string[];
}

export interface RolesConfig {
  roles: Record<string, RoleDefinition>;
  /** What each permission allows, in a few words, for the consent page. */
  permissions?: Record<string, string>;
}

export interface StaticClientConfig {
  client_id: string;
  client_name?: string;
  grant_types: ('authorization_code' | 'refresh_token' | 'client_credentials' | 'urn:ietf:params:oauth:grant-type:device_code')[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  client_secret_hash?: string;
  jwks_uri?: string;
  jwks?: { keys: object[] };
  first_party: boolean;
  permissions: string[];
  resource_server: boolean;
}

/** Settings that come only from the environment (README, Environment; docs/architecture.md, Configuration). */
export interface RuntimeSettings {
  production: boolean;
  issuer: string;
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  configDir: string;
  keysDir: string;
  jwtSecret?: string;
  /** Where /metrics is served; unset = nowhere. */
  metricsPort?: number;
  metricsHost: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface Config {
  auth: AuthConfig;
  roles: RolesConfig;
  clients: StaticClientConfig[];
  runtime: RuntimeSettings;
}
