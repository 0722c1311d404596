export { LOCALES, LOCALE_COOKIE, LOCALE_NAMES, chooseLocale, fromAcceptLanguage, fromUiLocales, isLocale, supportedLocale, type Locale } from './locale.js';
export { CATALOGUES, SafeHtml, translator, type MessageKey, type Params, type Translator } from './messages.js';
