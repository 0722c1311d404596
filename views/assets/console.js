// The console's copy buttons (a new client secret): shown only when the clipboard can be written; without
// script the secret stays selectable text. No inline script: the button names the element it copies.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(source.textContent ?? '');
    button.setAttribute('aria-live', 'polite');
    button.dataset.copied = 'true';
  });
}
