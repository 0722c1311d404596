// Our registration fields (extraClientMetadata in create-provider.ts) on oidc-provider's clients: oidc-provider
// copies each onto the Client it builds, under the same name, after the validator in create-provider.ts.
declare module 'oidc-provider' {
  interface AllClientMetadata {
    /** An app of our own: no consent page, password login allowed if public, user tokens accepted by our APIs. */
    first_party?: boolean;
    /** A machine client's whole grant; a user-facing client's upper bound. */
    permissions?: string[];
    /** An API that may introspect tokens issued to other clients. */
    resource_server?: boolean;
  }
  interface Client {
    readonly first_party?: boolean;
    readonly permissions?: string[];
    readonly resource_server?: boolean;
  }
}

export {};
