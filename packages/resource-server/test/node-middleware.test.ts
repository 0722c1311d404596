import { createServer, type ServerResponse } from 'node:http';
import {
  createVerifier,
  expressAuthenticate,
  expressRequireMfa,
  expressRequirePermission,
  expressRequireRole,
  type AuthenticatedRequest,
  type NodeMiddleware,
} from '../src/index.js';
import { describeMiddlewareContract } from './middleware-contract.js';
import { REALM } from './helpers/role-matrix.js';
import { API_AUDIENCE, deadUrl, listen } from './helpers/test-issuer.js';

/** Runs Express-style middleware in order, as Express or Connect would; a next(error) answers 500. */
function run(chain: NodeMiddleware[], req: AuthenticatedRequest, res: ServerResponse, done: () => void): void {
  const [first, ...rest] = chain;
  if (!first) {
    done();
    return;
  }
  first(req, res, (error) => {
    if (error !== undefined) {
      res.statusCode = 500;
      res.end();
      return;
    }
    run(rest, req, res, done);
  });
}

describeMiddlewareContract(
  'resource-server Node (Express-style) middleware',
  async (issuerUrl) => {
    const authenticate = expressAuthenticate(createVerifier({ issuer: issuerUrl, audience: API_AUDIENCE }), { realm: REALM });
    const unavailable = expressAuthenticate(createVerifier({ issuer: await deadUrl(), audience: API_AUDIENCE }), { realm: REALM });
    const options = { realm: REALM };
    const routes: Record<string, NodeMiddleware[]> = {
      '/read': [authenticate, expressRequirePermission('read', options)],
      '/write': [authenticate, expressRequirePermission('write', options)],
      '/manage-users': [authenticate, expressRequirePermission('manage_users', options)],
      '/admin': [authenticate, expressRequireRole('admin', options)],
      '/staff': [authenticate, expressRequireRole(['admin', 'instructor'], options)],
      '/read-and-write': [authenticate, expressRequirePermission(['read', 'write'], options)],
      '/mfa': [authenticate, expressRequireMfa(options)],
      '/unguarded': [expressRequireRole('admin', options)],
      '/unavailable': [unavailable],
    };

    const server = createServer((req: AuthenticatedRequest, res) => {
      const chain = routes[req.url ?? ''];
      if (!chain) {
        res.statusCode = 404;
        res.end();
        return;
      }
      run(chain, req, res, () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.auth ? { sub: req.auth.sub, roles: req.auth.roles } : { leaked: true }));
      });
    });
    const port = await listen(server);
    return {
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
  { requireRole: expressRequireRole, requirePermission: expressRequirePermission },
);
