// Passkey sign-in on the login page (first factor, with the email field's autofill) and on the second-factor
// page. No inline script: the page's [data-passkey-options] element carries the URLs and the CSRF token.
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication } from '/assets/simplewebauthn-browser.js';

const box = document.querySelector('[data-passkey-options]');
if (box && browserSupportsWebAuthn()) {
  const button = document.getElementById('passkey-button');
  const error = document.getElementById('passkey-error');
  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': box.dataset.csrf },
      body: JSON.stringify(body),
    });

  const signIn = async (useBrowserAutofill) => {
    const options = await post(box.dataset.passkeyOptions, {});
    if (!options.ok) throw new Error('no options');
    const response = await startAuthentication({ optionsJSON: await options.json(), useBrowserAutofill });
    const answer = await post(box.dataset.passkeyVerify, { response });
    const result = await answer.json();
    if (!answer.ok || typeof result.redirect !== 'string') throw new Error('refused');
    window.location.assign(result.redirect);
  };
  // a ceremony replaced by another (the button after the autofill) ends with an AbortError: not a failure
  const failed = (reason) => {
    if (reason?.name !== 'AbortError' && error) error.hidden = false;
  };

  button.hidden = false;
  button.addEventListener('click', () => {
    if (error) error.hidden = true;
    signIn(false).catch(failed);
  });
  if (box.dataset.autofill === 'true' && (await browserSupportsWebAuthnAutofill())) signIn(true).catch(() => {});
}
