import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { authenticate, createVerifier, requireMfa, requirePermission, requireRole, type AuthState } from '../src/index.js';
import { describeMiddlewareContract } from './middleware-contract.js';
import { REALM } from './helpers/role-matrix.js';
import { API_AUDIENCE, deadUrl } from './helpers/test-issuer.js';

describeMiddlewareContract(
  'resource-server Koa middleware',
  async (issuerUrl) => {
    const verifier = createVerifier({ issuer: issuerUrl, audience: API_AUDIENCE });
    const unavailable = createVerifier({ issuer: await deadUrl(), audience: API_AUDIENCE });
    const options = { realm: REALM };
    const routes = {
      '/read': requirePermission('read', options),
      '/write': requirePermission('write', options),
      '/manage-users': requirePermission('manage_users', options),
      '/admin': requireRole('admin', options),
      '/staff': requireRole(['admin', 'instructor'], options),
      '/read-and-write': requirePermission(['read', 'write'], options),
      '/mfa': requireMfa(options),
    };

    const router = new Router<AuthState>();
    for (const [path, guard] of Object.entries(routes)) {
      router.get(path, authenticate(verifier, options), guard, (ctx) => {
        ctx.body = { sub: ctx.state.auth.sub, roles: ctx.state.auth.roles };
      });
    }
    router.get('/unguarded', requireRole('admin', options), (ctx) => {
      ctx.body = { leaked: true };
    });
    router.get('/unavailable', authenticate(unavailable, options), (ctx) => {
      ctx.body = { leaked: true };
    });

    const app = new Koa();
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
  { requireRole, requirePermission },
);
