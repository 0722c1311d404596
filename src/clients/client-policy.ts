import type Provider from 'oidc-provider';
import '../oidc/client-metadata-types.js';

/**
 * A client as oidc-provider holds it, with our registration fields typed (src/oidc/client-metadata-types.ts);
 * the extraClientMetadata validator in create-provider.ts makes them booleans and a string list.
 */
export type RegisteredClient = InstanceType<Provider['Client']>;

/** The registration fields the rules below read, as any client-like value carries them. */
type Registration = Pick<RegisteredClient, 'first_party' | 'permissions' | 'resource_server'>;

/** An app of our own: no consent page, password login allowed if public, user tokens accepted by our own APIs. */
export function isFirstParty(client: Registration | undefined): boolean {
  return client?.first_party === true;
}

/** The permissions a client was registered with: a machine client's whole grant, a user-facing client's upper bound. */
export function registeredPermissions(client: Registration | undefined): string[] {
  return client?.permissions ?? [];
}

/** An API registered to introspect tokens issued to other clients. */
export function isResourceServer(client: Registration | undefined): boolean {
  return client?.resource_server === true;
}
