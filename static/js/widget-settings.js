/* Website inbox settings: the preview beside the Widget form follows the colour, texts and position typed. */
(function () {
  'use strict';
  const preview = document.querySelector('[data-widget-preview]');
  if (!preview) return;
  const field = (name) => document.getElementById('id_' + name);
  const follow = (name, apply) => { const input = field(name); if (input) input.addEventListener('input', () => apply(input.value)); };
  follow('widget_color', (value) => preview.style.setProperty('--brand', value));
  ['welcome_title', 'welcome_tagline'].forEach((name) => follow(name, (value) => {
    const target = preview.querySelector('[data-preview="' + name + '"]');
    if (value.trim()) target.textContent = value;
  }));
  const position = field('position');
  if (position) position.addEventListener('change', () => {
    preview.querySelector('.widget-preview-launcher').classList.toggle('is-left', position.value === 'left');
  });
})();
