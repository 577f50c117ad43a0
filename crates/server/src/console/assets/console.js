// Copy buttons: <button class="copy" data-copy="ELEMENT_ID">.
document.addEventListener('click', (event) => {
  const button = event.target.closest('button.copy');
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const done = () => {
    const note = button.nextElementSibling;
    if (note && note.classList.contains('copied')) note.hidden = false;
  };
  const text = source.value !== undefined ? source.value : source.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => { source.select(); document.execCommand('copy'); done(); });
  } else {
    source.select();
    document.execCommand('copy');
    done();
  }
});
