import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
// the kit by its package name, as your own API imports it (here found through the repository's workspace link)
import { authenticate, createVerifier, requirePermission, requireRole, type AuthState } from '@auth-connect/resource-server';

export interface ApiOptions {
  /** The auth-connect issuer, exactly as it appears in the tokens' `iss` (e.g. http://localhost:3000). */
  issuer: string;
  /** This API's resource identifier: tokens must carry it in `aud`. */
  audience?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

interface Note {
  id: number;
  text: string;
  author: string;
  createdAt: string;
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * A small notes API protected by auth-connect access tokens. Every route needs a valid bearer token
 * (verified offline against the issuer's JWKS); each then asks for a permission or a role:
 *   GET /notes          permission read
 *   POST /notes         permission write    body {"text": "..."}
 *   DELETE /notes/:id   permission delete
 *   GET /admin/stats    role admin
 */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const verifier = createVerifier({ issuer: options.issuer, audience: options.audience ?? 'urn:auth-connect:api' });
  const notes: Note[] = [{ id: 1, text: 'Welcome! This note comes from the example API.', author: 'system', createdAt: new Date().toISOString() }];
  let nextId = 2;
  const startedAt = Date.now();

  const router = new Router<AuthState>();
  router.use(authenticate(verifier));

  router.get('/notes', requirePermission('read'), (ctx) => {
    const { sub, roles, permissions } = ctx.state.auth;
    ctx.body = { notes, user: { sub, roles, permissions } };
  });

  router.post('/notes', requirePermission('write'), async (ctx) => {
    const body = await readJson(ctx);
    const text = body && typeof body === 'object' ? (body as { text?: unknown }).text : undefined;
    if (typeof text !== 'string' || text.trim() === '' || text.length > 1000) {
      ctx.status = 400;
      ctx.body = { error: 'INVALID_REQUEST', message: 'send {"text": "..."} with 1 to 1000 characters' };
      return;
    }
    const note: Note = { id: nextId++, text: text.trim(), author: ctx.state.auth.sub, createdAt: new Date().toISOString() };
    notes.push(note);
    ctx.status = 201;
    ctx.set('Location', `/notes/${note.id}`);
    ctx.body = note;
  });

  router.delete('/notes/:id', requirePermission('delete'), (ctx) => {
    const index = notes.findIndex((note) => String(note.id) === ctx.params.id);
    if (index === -1) {
      ctx.status = 404;
      ctx.body = { error: 'NOT_FOUND', message: `no note ${ctx.params.id}` };
      return;
    }
    notes.splice(index, 1);
    ctx.status = 204;
  });

  router.get('/admin/stats', requireRole('admin'), (ctx) => {
    ctx.body = { notes: notes.length, authors: new Set(notes.map((n) => n.author)).size, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) };
  });

  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // never leak internals: a bug is a plain 500, a refusal by Koa (e.g. a too large body) keeps its status
      const status = (error as { status?: number; expose?: boolean }).expose ? (error as { status: number }).status : 500;
      ctx.status = status;
      ctx.body = { error: status === 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST', message: status === 500 ? 'something went wrong' : (error as Error).message };
      if (status === 500) console.error(error);
    }
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404; // set explicitly, or Koa turns the body below into a 200
      ctx.body = { error: 'NOT_FOUND', message: 'no such route' };
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());

  const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) ctx.throw(415, 'send application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) ctx.throw(413, 'the body is too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    ctx.throw(400, 'the body is not valid JSON');
  }
}
