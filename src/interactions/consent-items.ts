import type { MessageKey, Translator } from '../i18n/index.js';

const OIDC_SCOPES = new Set(['openid', 'email', 'roles', 'offline_access']);

/**
 * What the consent page lists, in plain words and the page's language: the identity items the app asks for
 * and has not been given yet, then every permission it will receive (with its description from roles.json
 * where there is one: the operator's words, shown as written in every language; without one, the
 * catalogue's sentence naming the permission). An app that asks for no permission gets none, and the page
 * lists none.
 */
export function consentItems(
  tr: Pick<Translator, 't'>,
  missingOIDCScope: readonly string[] | undefined,
  permissions: readonly string[],
  descriptions: Record<string, string> = {},
): string[] {
  const items = (missingOIDCScope ?? []).map((scope) =>
    OIDC_SCOPES.has(scope) ? tr.t(`consent.scope.${scope}` as MessageKey) : tr.t('consent.scope.other', { scope }),
  );
  for (const permission of permissions) {
    const description = Object.hasOwn(descriptions, permission) ? descriptions[permission] : undefined;
    items.push(description ? tr.t('consent.permission_described', { description, permission }) : tr.t('consent.permission', { permission }));
  }
  return items.length ? items : [tr.t('consent.scope.openid')];
}
