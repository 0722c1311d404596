import { Eta } from 'eta';
import type { Context } from 'koa';
import type { AuthConfig } from '../config/types.js';
import { chooseLocale, isLocale, LOCALE_COOKIE, LOCALE_NAMES, LOCALES, translator, type Locale, type Translator } from '../i18n/index.js';
import { viewsDir } from '../paths.js';

// Templates escape every value unless a template asks for raw output (`<%~`), which only the layout's
// body, oidc-provider's own logout form and the catalogue's html() (which escapes what it fills in) use.
const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true, autoTrim: false });

export interface PageContext {
  organization: string;
  /** The language of a page when neither the request, the language cookie nor Accept-Language names one we have. */
  defaultLocale: Locale;
}

export function pageContext(auth: Pick<AuthConfig, 'server' | 'pages'>): PageContext {
  return { organization: auth.server.organization_name, defaultLocale: auth.pages.default_locale };
}

/** What a page needs of the request to pick its language. */
export type PageRequest = Pick<Context, 'get' | 'cookies' | 'query' | 'method' | 'originalUrl' | 'secure'>;

export interface LanguageLink {
  locale: Locale;
  name: string;
  href: string;
  current: boolean;
}

/** The translator of one page, and the links of its language switch (none on a page answering a POST). */
export interface PageTranslator extends Translator {
  links: LanguageLink[];
  /** The language picked with the switch for this page, which the page's own forms carry on (`?lang=`). */
  chosen?: Locale | undefined;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * The language of this request's page: one just picked with the switch (`?lang=`), `ui_locales` (from the
 * interaction, or the provider's parsed parameters when oidc-provider renders the page), the language
 * cookie, Accept-Language, the default. A language picked with the switch is remembered in the cookie.
 */
export function pageTranslator(ctx: PageRequest, page: PageContext, uiLocales?: unknown): PageTranslator {
  const chosen = ctx.query.lang;
  const locale = chooseLocale(
    {
      chosen,
      uiLocales: uiLocales ?? providerUiLocales(ctx),
      cookie: ctx.cookies.get(LOCALE_COOKIE, { signed: false }),
      acceptLanguage: ctx.get('accept-language'),
    },
    page.defaultLocale,
  );
  if (isLocale(chosen)) {
    ctx.cookies.set(LOCALE_COOKIE, chosen, { signed: false, httpOnly: true, sameSite: 'lax', path: '/', maxAge: YEAR_MS, secure: ctx.secure, overwrite: true });
  }
  return {
    ...translator(locale),
    links: ctx.method === 'GET' || ctx.method === 'HEAD' ? languageLinks(ctx.originalUrl, locale) : [],
    chosen: isLocale(chosen) ? chosen : undefined,
  };
}

/** The current address with `lang` set to each language: plain links, so the switch works without JavaScript. */
function languageLinks(originalUrl: string, current: Locale): LanguageLink[] {
  const url = new URL(originalUrl, 'http://page.invalid');
  // never `//host…`: a path the URL parser normalised to two slashes stays on this site
  return LOCALES.map((locale) => {
    url.searchParams.set('lang', locale);
    return { locale, name: LOCALE_NAMES[locale], href: `/${url.pathname.replace(/^\/+/, '')}${url.search}`, current: locale === current };
  });
}

function providerUiLocales(ctx: object): unknown {
  try {
    return (ctx as { oidc?: { params?: { ui_locales?: unknown } } }).oidc?.params?.ui_locales;
  } catch {
    return undefined;
  }
}

/**
 * Renders `view` inside the layout as the response, never cached, in the language `tr` speaks. Templates
 * get the translator as `it.t` (text), `it.html` (text with markup around values), `it.strong` and `it.code`,
 * and `it.keepLanguage` for their forms' actions (a sign-in that fails stays in the language picked).
 */
export function renderPage(
  ctx: Pick<Context, 'body' | 'type' | 'status' | 'set'>,
  page: PageContext,
  tr: PageTranslator,
  view: string,
  title: string,
  data: object,
  status = 200,
): void {
  const helpers = { lang: tr.locale, t: tr.t, html: tr.html, strong: tr.strong, code: tr.code, keepLanguage: tr.chosen ? `?lang=${tr.chosen}` : '' };
  const body = eta.render(`./${view}`, { ...page, ...helpers, ...data });
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Language', tr.locale);
  // a page's own scripts (modules from /assets, never inline) load from the head, outside the page's content
  const { scripts = [], styles = [], wide = false } = data as { scripts?: string[]; styles?: string[]; wide?: boolean };
  ctx.body = eta.render('./layout', { ...page, ...helpers, title, body, languages: tr.links, scripts, styles, wide });
}
