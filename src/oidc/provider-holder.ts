import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

/**
 * oidc-provider reads its keys once, at construction. To take new signing keys without a restart, the
 * server builds a new provider and swaps it in here; requests already in flight finish on the old one,
 * and nothing else is lost: every piece of state lives in the database, and cookie keys do not change.
 */
export interface ProviderHolder {
  current(): Provider;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  swap(next: Provider): void;
}

export function holdProvider(initial: Provider): ProviderHolder {
  let provider = initial;
  let handler = initial.callback();
  return {
    current: () => provider,
    handle: async (req, res) => {
      await handler(req, res);
    },
    swap(next) {
      provider = next;
      handler = next.callback();
    },
  };
}
