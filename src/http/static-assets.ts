import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import { viewsDir } from '../paths.js';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.js': 'text/javascript; charset=utf-8' };
const typeOf = (file: string) => TYPES[path.extname(file)] ?? 'application/octet-stream';

/** Serves views/assets/* (read once at start-up) under /assets/, and `built` assets made at start-up under their names. */
export function staticAssets(files: string[], built: Record<string, string> = {}): Middleware {
  const assets = new Map<string, { body: Buffer; type: string }>([
    ...files.map((file) => [`/assets/${file}`, { body: readFileSync(path.join(viewsDir, 'assets', file)), type: typeOf(file) }] as const),
    ...Object.entries(built).map(([file, body]) => [`/assets/${file}`, { body: Buffer.from(body), type: typeOf(file) }] as const),
  ]);
  return async (ctx, next) => {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? assets.get(ctx.path) : undefined;
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = asset.body;
  };
}
