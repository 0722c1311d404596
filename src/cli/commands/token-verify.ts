import { createLocalJWKSet } from 'jose';
import { readPublicSigningKeys } from '../../keys/signing-keys-service.js';
import { publicKeys } from '../../keys/public-keys.js';
import { createVerifier, isTokenVerificationError } from '@auth-connect/resource-server';
import { UsageError, type Command } from '../command.js';

export const tokenVerify: Command = {
  name: 'token verify',
  summary: 'verify an access token as an API would (signature, iss, aud, exp, typ) and print its claims or the error code',
  usage: 'TOKEN',
  positionals: { min: 1, max: 1, names: 'TOKEN' },
  async run(ctx, _options, [token]) {
    const { runtime, auth } = ctx.config;
    // the public keys in the database: no key-encryption key needed
    const set = await readPublicSigningKeys((await ctx.database()).knex);
    if (!set.keys.length) throw new UsageError("there are no signing keys in the database; point DATABASE_URL or DATA_DIR at the server's database");
    const verifier = createVerifier({
      issuer: runtime.issuer,
      audience: auth.resources[0]!.identifier,
      keySet: createLocalJWKSet({ keys: publicKeys(set) }),
      cacheSize: 0,
    });
    try {
      const claims = await verifier.verify(token!);
      ctx.print(JSON.stringify(claims.payload, null, 2), { valid: true, claims: claims.payload });
      return 0;
    } catch (error) {
      if (!isTokenVerificationError(error)) throw error;
      ctx.print(`${error.code}: ${error.message}`, { valid: false, error: error.code, message: error.message });
      return 1;
    }
  },
};
