import { Eta } from 'eta';
import { isLocale, translator, type Locale } from '../i18n/index.js';
import { viewsDir } from '../paths.js';
import { isMailTemplate, MAILS } from './mail-catalogue.js';

// Both mail templates escape every value (`<%=`); the text one is plain text, so escaping is switched off there.
const html = new Eta({ views: viewsDir, cache: true, autoEscape: true, autoTrim: false });
const text = new Eta({ views: viewsDir, cache: true, autoEscape: false, autoTrim: false });

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/**
 * A mail in its language: the definition's catalogue texts filled with `data` and the organisation name,
 * laid out by views/mail/text.eta and views/mail/html.eta. Links in `data` were built from the issuer.
 */
export function renderMail(template: string, locale: string, data: Record<string, string>, organization: string): RenderedMail {
  if (!isMailTemplate(template)) throw new Error(`no mail template ${template}`);
  const definition = MAILS[template];
  const { t } = translator(isLocale(locale) ? locale : ('en' satisfies Locale));
  const params = { ...data, organization };
  const view = {
    lang: locale,
    subject: t(definition.subject, params),
    greeting: t('mail.greeting'),
    body: definition.body.map((key) => t(key, params)),
    action: 'action' in definition && data.link ? { label: t(definition.action, params), link: data.link } : undefined,
    closing: definition.closing.map((key) => t(key, params)),
    signature: t('mail.signature', params),
  };
  return { subject: view.subject, text: text.render('./mail/text', view), html: html.render('./mail/html', view) };
}
