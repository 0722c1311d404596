/** Our registration fields on an oidc-provider Client (extraClientMetadata), read in one place. */
interface RegisteredClient {
  first_party?: unknown;
  permissions?: unknown;
  resource_server?: unknown;
}

/** An app of our own: no consent page, password login allowed if public, user tokens accepted by our own APIs. */
export function isFirstParty(client: object | undefined): boolean {
  return (client as RegisteredClient | undefined)?.first_party === true;
}

/** The permissions a client was registered with: a machine client's whole grant, a user-facing client's upper bound. */
export function registeredPermissions(client: object | undefined): string[] {
  const permissions = (client as RegisteredClient | undefined)?.permissions;
  return Array.isArray(permissions) ? permissions.filter((p): p is string => typeof p === 'string') : [];
}

/** An API registered to introspect tokens issued to other clients. */
export function isResourceServer(client: object | undefined): boolean {
  return (client as RegisteredClient | undefined)?.resource_server === true;
}
