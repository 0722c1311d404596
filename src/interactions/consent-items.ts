const OIDC_SCOPES: Record<string, string> = {
  openid: 'Know who you are',
  email: 'See your email address',
  roles: 'See your role and permissions',
  offline_access: 'Stay connected while you are away (keep access after you close the app)',
};

/**
 * What the consent page lists, in plain words: the identity items the app asks for and has not been given
 * yet, then every permission it will receive (with its description from roles.json where there is one).
 * An app that asks for no permission gets none, and the page lists none.
 */
export function consentItems(missingOIDCScope: readonly string[] | undefined, permissions: readonly string[], descriptions: Record<string, string> = {}): string[] {
  const items = (missingOIDCScope ?? []).map((scope) => OIDC_SCOPES[scope] ?? `Use "${scope}"`);
  for (const permission of permissions) {
    const description = Object.hasOwn(descriptions, permission) ? descriptions[permission] : undefined;
    items.push(description ? `${description} (permission "${permission}")` : `Act for you with the permission "${permission}"`);
  }
  return items.length ? items : ['Know who you are'];
}
