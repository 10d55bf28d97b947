/* Settings pages: small progressive enhancements. Every page works without this file; it only hides fields
   that do not apply, previews choices and copies tokens. Loaded with `defer` (strict CSP: no inline code). */
(function () {
  'use strict';

  // ------------------------------------------------------------------ fields shown by a checkbox
  // <div data-shown-by="id_greeting_enabled"> is hidden while that checkbox is off (unless it shows an error).
  function syncShownBy(checkbox) {
    document.querySelectorAll('[data-shown-by="' + checkbox.id + '"]').forEach(function (el) {
      el.hidden = !checkbox.checked && !el.querySelector('.has-error');
    });
    document.querySelectorAll('[data-dimmed-by="' + checkbox.id + '"]').forEach(function (el) {
      el.classList.toggle('is-off', !checkbox.checked);
    });
  }

  // ------------------------------------------------------------------ business hours: times only for "Open"
  function syncHoursRow(row) {
    const mode = row.querySelector('select');
    const times = row.querySelector('[data-hours-times]');
    if (mode && times) times.classList.toggle('is-hidden', mode.value !== 'hours');
  }

  // ------------------------------------------------------------------ label colour: swatches + preview
  function setColour(form, value) {
    const input = form.querySelector('input[type="color"]');
    if (input && input.value !== value) input.value = value;
    form.querySelectorAll('.swatch').forEach(function (swatch) {
      const selected = swatch.dataset.colour.toLowerCase() === value.toLowerCase();
      swatch.classList.toggle('is-selected', selected);
      swatch.setAttribute('aria-pressed', selected ? 'true' : 'false');
    });
    const preview = form.querySelector('[data-label-preview]');
    if (preview) preview.style.setProperty('--label', value);
  }

  function syncLabelTitle(form, input) {
    const preview = form.querySelector('[data-label-preview]');
    if (!preview) return;
    if (!preview.dataset.placeholder) preview.dataset.placeholder = preview.textContent;
    preview.textContent = input.value.trim().toLowerCase() || preview.dataset.placeholder;
  }

  // ------------------------------------------------------------------ avatar preview
  function previewAvatar(input) {
    const field = input.closest('.avatar-field');
    const holder = field && field.querySelector('[data-avatar-preview]');
    const file = input.files && input.files[0];
    if (!holder || !file || !file.type.startsWith('image/')) return;
    const img = document.createElement('img');
    img.alt = '';
    img.src = URL.createObjectURL(file);
    const avatar = document.createElement('span');
    avatar.className = 'avatar avatar-xl';
    avatar.appendChild(img);
    holder.replaceChildren(avatar);
  }

  // ------------------------------------------------------------------ member picker search (long lists)
  function setupMemberFilter(picker) {
    const search = picker.querySelector('[data-filter-members]');
    const options = picker.querySelectorAll('.member-option');
    if (search && options.length > 8) search.hidden = false;
  }

  function filterMembers(search) {
    const term = search.value.trim().toLowerCase();
    search.closest('.member-picker').querySelectorAll('.member-option').forEach(function (option) {
      option.hidden = term !== '' && !(option.dataset.memberName || '').includes(term);
    });
  }

  // ------------------------------------------------------------------ copy buttons
  function copyFrom(button) {
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const done = function () {
      const label = button.textContent;
      button.textContent = button.dataset.copiedLabel || label;
      button.classList.add('is-copied');
      setTimeout(function () { button.textContent = label; button.classList.remove('is-copied'); }, 1600);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done, function () { source.select(); });
    } else {
      source.select();
      try { if (document.execCommand('copy')) done(); } catch (e) { /* the text stays selected */ }
    }
  }

  // ------------------------------------------------------------------ wiring (delegated, survives HTMX swaps)
  function init(root) {
    root.querySelectorAll('input[type="checkbox"][id]').forEach(function (checkbox) {
      if (document.querySelector('[data-shown-by="' + checkbox.id + '"], [data-dimmed-by="' + checkbox.id + '"]')) {
        syncShownBy(checkbox);
      }
    });
    root.querySelectorAll('[data-hours-row]').forEach(syncHoursRow);
    root.querySelectorAll('.member-picker').forEach(setupMemberFilter);
  }

  document.addEventListener('change', function (event) {
    const target = event.target;
    if (target.matches('input[type="checkbox"][id]')) syncShownBy(target);
    if (target.closest('[data-hours-row]')) syncHoursRow(target.closest('[data-hours-row]'));
    if (target.matches('.avatar-field input[type="file"]')) previewAvatar(target);
  });

  document.addEventListener('input', function (event) {
    const target = event.target;
    const labelForm = target.closest('[data-label-form]');
    if (labelForm && target.type === 'color') setColour(labelForm, target.value);
    if (labelForm && target.name === 'title') syncLabelTitle(labelForm, target);
    if (target.matches('[data-filter-members]')) filterMembers(target);
  });

  document.addEventListener('click', function (event) {
    const swatch = event.target.closest('.swatch[data-colour]');
    if (swatch) {
      setColour(swatch.closest('[data-label-form]'), swatch.dataset.colour);
      return;
    }
    const copy = event.target.closest('[data-copy]');
    if (copy) copyFrom(copy);
  });

  // The profile page's availability switch: keep the rail's presence dot and menu in step at once
  // (the websocket's presence.changed event does the same a moment later).
  const AVAILABILITY_NUMBERS = { online: '0', offline: '1', busy: '2' };
  document.body.addEventListener('availabilityChanged', function (event) {
    const name = event.detail && event.detail.availability;
    if (!name) return;
    const me = document.body.dataset.userId;
    document.querySelectorAll('[data-presence-user="' + me + '"]').forEach(function (dot) {
      dot.dataset.availability = name;
    });
    document.querySelectorAll('.availability-option').forEach(function (option) {
      option.classList.toggle('is-selected', option.dataset.availabilityValue === AVAILABILITY_NUMBERS[name]);
    });
  });

  document.addEventListener('htmx:load', function (event) { init(event.target); });
  init(document);

  // ------------------------------------------------------------------ WhatsApp (Evolution) pairing panel
  // The connection panel re-GETs itself when the agent socket says this inbox's state or QR code changed, and
  // once on every (re)connect (events sent while it was down are lost); only while the socket is down does it
  // poll, every 5 s.
  function refreshConnection(inboxId) {
    const panel = document.getElementById('wa-connection');
    if (panel && window.htmx && (inboxId === undefined || panel.dataset.inboxId === String(inboxId))) {
      window.htmx.trigger(panel, 'wa-connection-refresh');
    }
  }
  if (document.getElementById('wa-connection')) {
    const live = window.Autonomia && window.Autonomia.live;
    if (live) {
      live.on('whatsapp.connection_changed', function (data) { refreshConnection(data.inbox_id); });
      live.on('open', function () { refreshConnection(); });
    }
    setInterval(function () { if (!live || !live.connected) refreshConnection(); }, 5000);
  }

  // On small screens the sub-navigation scrolls sideways: bring the current page's link into view.
  const subnav = document.querySelector('.subnav');
  const current = subnav && subnav.querySelector('[aria-current="page"]');
  if (current && subnav.scrollWidth > subnav.clientWidth) {
    subnav.scrollLeft = current.offsetLeft - (subnav.clientWidth - current.offsetWidth) / 2;
  }
})();
