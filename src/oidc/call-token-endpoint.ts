import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject } from 'light-my-request';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Sends a form request to the provider's own token endpoint in-process (no socket), so the account API's
 * refresh follows exactly the token endpoint's rules: rotation, replay detection, session checks.
 */
export async function callTokenEndpoint(
  handler: RequestHandler,
  params: Record<string, string>,
  userAgent?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await inject(handler as Parameters<typeof inject>[0], {
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(userAgent ? { 'user-agent': userAgent } : {}) },
    payload: new URLSearchParams(params).toString(),
  });
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(response.payload) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: response.statusCode, body };
}
