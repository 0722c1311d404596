/**
 * Which language a page is shown in. In order: a language just picked with the pages' switch (`?lang=`,
 * which also sets the cookie), the request's `ui_locales` (OpenID Connect Core §3.1.2.1,
 * a space-separated list, first supported one wins), the language cookie, `Accept-Language` (RFC 9110
 * §12.5.4: highest q first, q=0 means "not this one"), then the configured default. A tag matches a
 * catalogue by its primary language (`de-AT` → `de`).
 */
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language's name in itself, for the pages' language switch. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch' };

/** The cookie that remembers a language chosen with the pages' language switch. */
export const LOCALE_COOKIE = 'ac_lang';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The catalogue for one language tag, if there is one: `de`, `DE`, `de-CH`, `de_DE` → `de`. */
export function supportedLocale(tag: string): Locale | undefined {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : undefined;
}

/** The first supported language of a `ui_locales` value. */
export function fromUiLocales(value: unknown): Locale | undefined {
  if (typeof value !== 'string') return undefined;
  for (const tag of value.split(' ').slice(0, 20)) {
    const locale = tag && supportedLocale(tag);
    if (locale) return locale;
  }
  return undefined;
}

/**
 * The best supported language of an `Accept-Language` header: ranges sorted by q (stable, so equal q keep
 * their order), `*` standing for the default, ranges with q=0 or an unreadable q skipped.
 */
export function fromAcceptLanguage(header: string | undefined, fallback: Locale): Locale | undefined {
  if (!header) return undefined;
  const ranges: { tag: string; q: number; index: number }[] = [];
  header
    .split(',')
    .slice(0, 50)
    .forEach((part, index) => {
      const [tag = '', ...parameters] = part.split(';').map((p) => p.trim());
      if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(tag)) return;
      let q = 1;
      for (const parameter of parameters) {
        const match = /^q\s*=\s*(.*)$/i.exec(parameter);
        if (!match) continue;
        q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(match[1]!) ? Number(match[1]) : -1;
      }
      if (q > 0) ranges.push({ tag, q, index });
    });
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranges) {
    const locale = tag === '*' ? fallback : supportedLocale(tag);
    if (locale) return locale;
  }
  return undefined;
}

export interface LocaleSources {
  /** A language picked with the pages' switch (`?lang=`), for the page it was picked on. */
  chosen?: unknown;
  uiLocales?: unknown;
  cookie?: string | undefined;
  acceptLanguage?: string | undefined;
}

export function chooseLocale(sources: LocaleSources, fallback: Locale): Locale {
  return (
    (isLocale(sources.chosen) ? sources.chosen : undefined) ??
    fromUiLocales(sources.uiLocales) ??
    (isLocale(sources.cookie) ? sources.cookie : undefined) ??
    fromAcceptLanguage(sources.acceptLanguage, fallback) ??
    fallback
  );
}
