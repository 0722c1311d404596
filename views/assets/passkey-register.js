// Adding a passkey on the account page. No inline script: the form carries the URLs and the CSRF token.
import { browserSupportsWebAuthn, startRegistration } from '/assets/simplewebauthn-browser.js';

const form = document.getElementById('passkey-form');
if (form && browserSupportsWebAuthn()) {
  const button = document.getElementById('passkey-add');
  const error = document.getElementById('passkey-error');
  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': form.dataset.csrf },
      body: JSON.stringify(body),
    });

  button.disabled = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const options = await post(form.dataset.options, {});
      if (!options.ok) throw new Error('no options');
      const response = await startRegistration({ optionsJSON: await options.json() });
      const answer = await post(form.dataset.verify, { name: form.elements.name.value, response });
      if (!answer.ok) throw new Error('refused');
      window.location.assign('/account?done=passkey');
    } catch {
      error.hidden = false;
      button.disabled = false;
    }
  });
}
