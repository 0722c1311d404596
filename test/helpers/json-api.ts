import { assertDocumentedAnswer } from './documented-answer.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Calls the JSON API as an app would. */
export function jsonApi(base: string) {
  return async (method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    assertDocumentedAnswer(method, new URL(`${base}${path}`).pathname, response.status, parsed);
    return { status: response.status, headers: response.headers, body: parsed };
  };
}
