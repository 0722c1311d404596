const OIDC_SCOPES: Record<string, string> = {
  openid: 'Know who you are',
  email: 'See your email address',
  roles: 'See your role and permissions',
  offline_access: 'Stay connected while you are away (keep access after you close the app)',
};

/** What the consent page lists, in plain words, for the scopes a client is asking for and does not hold yet. */
export function consentItems(details: { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> }): string[] {
  const items = (details.missingOIDCScope ?? []).map((scope) => OIDC_SCOPES[scope] ?? `Use "${scope}"`);
  for (const scopes of Object.values(details.missingResourceScopes ?? {})) {
    if (scopes.length) items.push(`Act on your behalf with these permissions: ${scopes.join(', ')}`);
  }
  return items.length ? items : ['Know who you are'];
}
