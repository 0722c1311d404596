/** The anchor's static clients, shared by the anchor process and the scenarios that call it. */
export const BARE_CLIENTS = {
  machine: { id: 'bench-machine', secret: 'bench-machine-secret-0123456789abcdef' },
  app: { id: 'bench-app', secret: 'bench-app-secret-0123456789abcdef' },
  publicClient: { id: 'bench-public' },
};

/** The PKCE verifier of every code the anchor seeds. */
export const CODE_VERIFIER = 'bench-code-verifier-0123456789-0123456789-0123456789';
