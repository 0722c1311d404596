import { de } from './de.js';
import { en, type Catalogue, type MessageKey } from './en.js';
import type { Locale } from './locale.js';

export type { MessageKey } from './en.js';

export const CATALOGUES: Record<Locale, Catalogue> = { en, de };

/** Markup a template puts around a value (`<strong>`, `<code>`); the value itself is escaped. */
export class SafeHtml {
  constructor(readonly html: string) {}
}

export type Params = Record<string, string | number | SafeHtml>;

// as eta escapes `<%= %>` output
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function fill(text: string, params: Params, show: (value: string | number | SafeHtml) => string): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? show(params[name]!) : whole));
}

export interface Translator {
  locale: Locale;
  /** Plain text (templates escape it with `<%=`). */
  t(key: MessageKey, params?: Params): string;
  /** HTML: the catalogue text and every plain value escaped, SafeHtml values (from strong/code) as they are. */
  html(key: MessageKey, params?: Params): string;
  strong(text: string): SafeHtml;
  code(text: string): SafeHtml;
}

export function translator(locale: Locale): Translator {
  const catalogue = CATALOGUES[locale];
  const text = (key: MessageKey) => catalogue[key] ?? en[key] ?? key;
  return {
    locale,
    t: (key, params = {}) => fill(text(key), params, (value) => (value instanceof SafeHtml ? value.html : String(value))),
    html: (key, params = {}) => fill(escapeHtml(text(key)), params, (value) => (value instanceof SafeHtml ? value.html : escapeHtml(String(value)))),
    strong: (value) => new SafeHtml(`<strong>${escapeHtml(value)}</strong>`),
    code: (value) => new SafeHtml(`<code>${escapeHtml(value)}</code>`),
  };
}
