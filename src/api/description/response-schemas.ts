/**
 * The shapes of successful answers, by name (OpenAPI components). They describe what the routes'
 * `public…` functions build; the routes do not validate their own answers against them, the API tests
 * do (test/helpers/documented-answer.ts). Entities allow no other fields, so a field that should not
 * leave the server (a hash, a secret) fails those tests.
 */
const text = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const optionalTime = { type: ['string', 'null'], format: 'date-time' } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;

export const responseSchemas = {
  User: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'email', 'email_verified', 'role', 'is_active', 'created_at', 'updated_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: text,
      email_verified: { type: 'boolean' },
      role: text,
      is_active: { type: 'boolean' },
      created_at: time,
      updated_at: time,
    },
  },
  Account: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'email', 'email_verified', 'role', 'permissions', 'created_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: text,
      email_verified: { type: 'boolean' },
      role: text,
      permissions: strings,
      created_at: time,
    },
  },
  Tokens: {
    type: 'object',
    additionalProperties: false,
    required: ['access_token', 'refresh_token', 'token_type', 'expires_in'],
    properties: {
      access_token: { type: 'string', description: 'a JWT (typ at+jwt)' },
      refresh_token: { type: 'string', description: 'opaque; rotated on every use' },
      token_type: { type: 'string', const: 'Bearer' },
      expires_in: { type: 'integer', description: 'seconds' },
      device_token: { type: 'string', description: 'login only: send it back in the next login from this client (see the sign-in throttle)' },
      recovery_codes: { ...strings, description: 'setting up a second factor during sign-in only: ten single-use codes, shown this once' },
    },
  },
  MfaStatus: {
    type: 'object',
    additionalProperties: false,
    required: ['totp', 'passkeys', 'recovery_codes_left', 'required'],
    properties: {
      totp: { type: 'boolean', description: 'an authenticator app is set up' },
      passkeys: { type: 'integer', description: 'how many passkeys (manage them on /account)' },
      recovery_codes_left: { type: 'integer' },
      required: { type: 'boolean', description: 'the policy (auth_config.json mfa) demands a second factor of this user' },
    },
  },
  TotpEnrolment: {
    type: 'object',
    additionalProperties: false,
    required: ['secret', 'otpauth_uri', 'qr_code'],
    properties: {
      secret: { type: 'string', description: 'base32, for apps that cannot scan' },
      otpauth_uri: { type: 'string', description: 'otpauth://totp/… as the QR code holds it' },
      qr_code: { type: 'string', description: 'the QR code as a data:image/svg+xml URL' },
    },
  },
  SecondFactorsReset: {
    type: 'object',
    additionalProperties: false,
    required: ['totp_removed', 'passkeys_removed', 'recovery_codes_removed'],
    properties: { totp_removed: { type: 'boolean' }, passkeys_removed: { type: 'integer' }, recovery_codes_removed: { type: 'integer' } },
  },
  RecoveryCodes: {
    type: 'object',
    additionalProperties: false,
    required: ['recovery_codes'],
    properties: { recovery_codes: { ...strings, description: 'ten single-use codes, shown this once; earlier ones stop working' } },
  },
  Message: { type: 'object', required: ['message'], properties: { message: text } },
  EmailConfirmed: { type: 'object', required: ['message', 'email'], properties: { message: text, email: text } },
  PasswordChanged: { type: 'object', required: ['message', 'sessions_ended'], properties: { message: text, sessions_ended: { type: 'integer' } } },
  Session: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'client_id', 'created_at', 'last_used_at', 'expires_at', 'current'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      client_id: text,
      ip: { type: ['string', 'null'] },
      user_agent: { type: ['string', 'null'] },
      created_at: time,
      last_used_at: time,
      expires_at: time,
      current: { type: 'boolean' },
      user_id: { type: 'string', format: 'uuid', description: 'admin API only' },
    },
  },
  Sessions: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: { $ref: '#/components/schemas/Session' } } } },
  SessionsEnded: { type: 'object', required: ['sessions_ended'], properties: { sessions_ended: { type: 'integer' } } },
  ApiKey: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'name', 'prefix', 'permissions', 'is_active', 'last_used_at', 'expires_at', 'created_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: text,
      prefix: { type: 'string', description: 'ack_ and 16 hex digits' },
      permissions: strings,
      is_active: { type: 'boolean' },
      last_used_at: optionalTime,
      expires_at: optionalTime,
      created_at: time,
      user_id: { type: 'string', format: 'uuid', description: 'admin API only' },
      key: { type: 'string', description: 'only in the answer that creates the key' },
    },
  },
  ApiKeys: { type: 'object', required: ['api_keys'], properties: { api_keys: { type: 'array', items: { $ref: '#/components/schemas/ApiKey' } } } },
  Users: {
    type: 'object',
    required: ['total', 'users'],
    properties: { total: { type: 'integer' }, users: { type: 'array', items: { $ref: '#/components/schemas/User' } } },
  },
  Client: {
    type: 'object',
    additionalProperties: false,
    required: ['client_id', 'client_name', 'grant_types', 'first_party', 'permissions', 'resource_server', 'created_at', 'updated_at'],
    properties: {
      client_id: text,
      client_name: text,
      grant_types: strings,
      redirect_uris: strings,
      post_logout_redirect_uris: strings,
      token_endpoint_auth_method: text,
      first_party: { type: 'boolean' },
      permissions: strings,
      resource_server: { type: 'boolean' },
      created_at: time,
      updated_at: time,
      client_secret: { type: 'string', description: 'only in the answer that creates the client or a new secret' },
    },
  },
  Clients: { type: 'object', required: ['clients'], properties: { clients: { type: 'array', items: { $ref: '#/components/schemas/Client' } } } },
  SigningKey: {
    type: 'object',
    additionalProperties: false,
    required: ['kid', 'alg', 'status'],
    properties: {
      kid: text,
      alg: text,
      kty: text,
      status: { type: 'string', enum: ['signing', 'pending', 'published', 'retired'] },
      created_at: optionalTime,
      sign_from: optionalTime,
      retire_at: optionalTime,
    },
  },
  SigningKeys: {
    type: 'object',
    required: ['keys'],
    properties: {
      keys: { type: 'array', items: { $ref: '#/components/schemas/SigningKey' } },
      added: { type: 'array', items: { type: 'object', properties: { kid: text, alg: text } }, description: 'rotation only' },
    },
  },
  AuditEvents: {
    type: 'object',
    required: ['events'],
    properties: { events: { type: 'array', items: { type: 'object', description: 'one row of audit_events' } } },
  },
  Outbox: {
    type: 'object',
    required: ['mails'],
    properties: {
      mails: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'event', 'template', 'recipient', 'status', 'attempts', 'last_error', 'created_at', 'next_attempt_at', 'sent_at'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            event: text,
            template: text,
            recipient: text,
            status: { type: 'string', enum: ['pending', 'sent', 'failed'] },
            attempts: { type: 'integer' },
            last_error: { type: ['string', 'null'] },
            created_at: time,
            next_attempt_at: optionalTime,
            sent_at: optionalTime,
          },
        },
      },
    },
  },
  OpenApiDocument: { type: 'object', description: 'this document' },
} as const;

export type ResponseSchemaName = keyof typeof responseSchemas;

export const schemaRef = (name: ResponseSchemaName) => ({ $ref: `#/components/schemas/${name}` });
