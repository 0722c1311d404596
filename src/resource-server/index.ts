/**
 * `auth-connect/resource-server`, kept for APIs that imported the kit from the server package before it
 * became its own package: everything comes from @auth-connect/resource-server (packages/resource-server),
 * which new code should import directly, since it installs with jose alone.
 */
export * from '@auth-connect/resource-server';
