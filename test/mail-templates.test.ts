import assert from 'node:assert/strict';
import { LOCALES } from '../src/i18n/index.js';
import { MAILS, type MailTemplate } from '../src/mail/mail-catalogue.js';
import { renderMail } from '../src/mail/render-mail.js';

const SAMPLE: Record<string, string> = {
  email: 'ann@example.com',
  link: 'https://id.example.com/reset-password?token=abc&lang=en',
  name: 'deploy <script>alert(1)</script>',
  prefix: 'ack_0123456789abcdef',
  method: 'authenticator app',
  count: '7',
  time: '2026-12-02 07:30',
  address: '203.0.113.9',
  agent: 'Mozilla/5.0 <b>',
};

describe('mail templates', () => {
  for (const template of Object.keys(MAILS) as MailTemplate[]) {
    for (const locale of LOCALES) {
      it(`${template} in ${locale}: subject, text and HTML filled in, the organisation named, values escaped in HTML`, () => {
        const mail = renderMail(template, locale, SAMPLE, 'Example University');
        for (const part of [mail.subject, mail.text, mail.html]) assert.doesNotMatch(part, /\{\w+\}/, 'no placeholder left');
        assert.match(mail.subject, /Example University/);
        assert.match(mail.text, /^-- \nExample University\n$/m);
        assert.match(mail.html, new RegExp(`<html lang="${locale}">`));
        assert.doesNotMatch(mail.html, /<script>/);
        if ('action' in MAILS[template]) {
          assert.ok(mail.text.includes(SAMPLE.link!), 'the link in the text');
          assert.ok(mail.html.includes('href="https://id.example.com/reset-password?token=abc&amp;lang=en"'), 'the link in the HTML');
        }
      });
    }
  }

  it('refuses a template that does not exist (a row from a newer version is not sent half-made)', () => {
    assert.throws(() => renderMail('no_such_mail', 'en', {}, 'X'), /no mail template/);
  });
});
