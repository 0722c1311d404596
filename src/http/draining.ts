import type { Middleware } from 'koa';

/**
 * Whether this instance is on its way out (SIGTERM received). Set once, never cleared: /readyz answers 503
 * from then on so a load balancer takes the instance out, and every answer says `Connection: close` so
 * keep-alive clients (the balancer's own pooled connections included) open their next connection elsewhere.
 */
export class Draining {
  #active = false;

  get active(): boolean {
    return this.#active;
  }

  begin(): void {
    this.#active = true;
  }
}

/**
 * First in the chain, so it covers every answer, the token endpoint's fast path included; checked again
 * on the way out, for a request that began before the drain and is answered during it.
 */
export function closeConnectionsWhileDraining(draining: Draining): Middleware {
  return async (ctx, next) => {
    if (draining.active) ctx.set('Connection', 'close');
    await next();
    if (draining.active && !ctx.headerSent) ctx.set('Connection', 'close');
  };
}
