import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { runInterleaved } from '../load/run-load.js';
import type { LoadResult, LoadSpec } from '../load/spec.js';
import { freePort, startProcess, type BenchProcess } from '../processes.js';
import { API_RESOURCE, settings } from '../settings.js';
import type { BenchContext } from './context.js';

const KIT_SERVER = fileURLToPath(new URL('../kit/kit-server.js', import.meta.url));
const ISSUER = 'http://127.0.0.1:3000';
/** Distinct tokens made per row: about twice what the routes verify in warm-up + measurement here (signing them is most of the kit rows' time). */
const DISTINCT_TOKENS = 120_000;

/**
 * The resource-server kit on a Koa route, next to the same route unprotected and to jose's jwtVerify alone.
 * "Distinct" sends a token never seen before on every request (the kit's verified-token cache cannot help);
 * "repeated" sends one token every time. Tokens look like ours (at+jwt, ES256, same claims); every request
 * carries one, the unprotected route's too, so the routes differ only in what runs for them.
 */
export async function kit(
  ctx: BenchContext,
  profile: { NODE_CPU_PROF?: string } = {},
): Promise<{
  unprotected: LoadResult;
  protectedRepeated: LoadResult;
  protectedDistinct: LoadResult;
  jwtVerifyDistinct: LoadResult;
  jwtVerifyRepeated: LoadResult;
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: 'kit-bench', alg: 'ES256' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'kit-bench', alg: 'ES256', use: 'sig' };
  const claims = {
    iss: ISSUER,
    aud: API_RESOURCE,
    sub: '6f1d7a8e-4b1c-4a51-9d7e-1a2b3c4d5e6f',
    client_id: 'bench-app',
    scope: 'openid email roles read chat save_progress',
    roles: ['student'],
    permissions: ['read', 'chat', 'save_progress'],
  };
  const now = Math.floor(Date.now() / 1000);
  const oneToken = await new SignJWT({ ...claims, jti: 'repeated' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'kit-bench' })
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);

  const port = await freePort();
  const server: BenchProcess = await startProcess(
    'kit',
    KIT_SERVER,
    port,
    {
      PORT: String(port),
      KIT_ISSUER: ISSUER,
      KIT_AUDIENCE: API_RESOURCE,
      KIT_PUBLIC_JWK: JSON.stringify(publicJwk),
      ...(profile.NODE_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profile.NODE_CPU_PROF}` } : {}),
    },
    '/ready',
  );
  try {
    const row = (label: string, path: string, extra: Partial<LoadSpec> = {}): LoadSpec => ({
      label,
      origin: server.url,
      serverPid: server.child.pid,
      path,
      connections: settings.connections,
      warmupSeconds: settings.kitWarmupSeconds,
      durationSeconds: settings.kitDurationSeconds,
      ...extra,
    });
    const distinct = { feed: { kind: 'distinct-bearer' as const, privateJwk, alg: 'ES256', claims, count: DISTINCT_TOKENS } };
    const repeated = { headers: { authorization: `Bearer ${oneToken}` } };
    ctx.log(`kit: five routes, interleaved (${settings.rounds} rounds)`);
    const [unprotected, protectedRepeated, protectedDistinct, jwtVerifyDistinct, jwtVerifyRepeated] = await runInterleaved(
      [
        row('unprotected route', '/unprotected', repeated), // the same request, token header included: only the middleware differs
        row('kit, one token repeated', '/protected', repeated),
        row('kit, distinct tokens', '/protected', distinct),
        row('jwtVerify alone, distinct tokens', '/jwt-verify', distinct),
        row('jwtVerify alone, one token repeated', '/jwt-verify', repeated),
      ],
      settings.rounds,
    );
    return {
      unprotected: unprotected!,
      protectedRepeated: protectedRepeated!,
      protectedDistinct: protectedDistinct!,
      jwtVerifyDistinct: jwtVerifyDistinct!,
      jwtVerifyRepeated: jwtVerifyRepeated!,
    };
  } finally {
    await server.stop();
  }
}
