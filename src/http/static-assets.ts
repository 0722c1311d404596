import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import { viewsDir } from '../paths.js';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** Serves views/assets/* (read once at start-up) under /assets/. */
export function staticAssets(files: string[]): Middleware {
  const assets = new Map(
    files.map((file) => [
      `/assets/${file}`,
      { body: readFileSync(path.join(viewsDir, 'assets', file)), type: TYPES[path.extname(file)] ?? 'application/octet-stream' },
    ]),
  );
  return async (ctx, next) => {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? assets.get(ctx.path) : undefined;
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = asset.body;
  };
}
