/* The public help center: keyboard use of the as-you-type results, and the "Talk to us" button, which loads
   the website widget of the portal's inbox (Chatwoot's SDK at /packs/js/sdk.js) and opens it. */
(function () {
  'use strict';

  document.addEventListener('keydown', function (event) {
    var input = document.getElementById('hc-q');
    var box = document.getElementById('hc-instant');
    if (!input || !box) return;
    var links = Array.prototype.slice.call(box.querySelectorAll('a'));
    var index = links.indexOf(document.activeElement);
    if (event.key === 'Escape' && (event.target === input || index >= 0)) { box.innerHTML = ''; input.focus(); return; }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    if (event.target !== input && index < 0) return;
    if (!links.length) return;
    event.preventDefault();
    var next = event.key === 'ArrowDown' ? index + 1 : index - 1;
    if (next < 0) { input.focus(); return; }
    links[Math.min(next, links.length - 1)].focus();
  });

  document.addEventListener('click', function (event) {
    var box = document.getElementById('hc-instant');
    if (box && !event.target.closest('.hc-search')) box.innerHTML = '';
  });

  var talk = document.getElementById('hc-talk');
  if (!talk) return;
  var nonce = document.currentScript ? document.currentScript.nonce : '';  // the widget's styles need it
  var loading = false;
  function open() {
    if (window.$chatwoot && window.$chatwoot.toggle) { window.$chatwoot.toggle('open'); return true; }
    return false;
  }
  talk.addEventListener('click', function () {
    if (open() || loading) return;
    loading = true;
    var script = document.createElement('script');
    script.src = talk.dataset.sdk;
    if (nonce) script.nonce = nonce;
    script.async = true;
    script.onload = function () {
      window.chatwootSDK.run({ websiteToken: talk.dataset.websiteToken, baseUrl: talk.dataset.baseUrl });
      window.addEventListener('chatwoot:ready', function () { open(); }, { once: true });
      setTimeout(open, 1500);
    };
    document.head.appendChild(script);
  });
})();
