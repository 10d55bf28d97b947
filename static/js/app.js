/* Autonomia app shell: menus, toasts, the agent websocket (heartbeat, jittered reconnect, resync events),
   the notification bell, presence dots, desktop notifications with a short sound, and the shortcuts sheet.
   Loaded with `defer` from base.html (strict CSP: no inline code, no eval). Page scripts such as inbox.js
   subscribe with Autonomia.live.on(type, fn). */
(function () {
  'use strict';

  const body = document.body;
  const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

  // ------------------------------------------------------------------ translated strings
  const strings = {};
  const source = document.getElementById('i18n-strings');
  if (source) {
    source.content.querySelectorAll('[data-key]').forEach(function (el) { strings[el.dataset.key] = el.textContent; });
  }
  function t(key, vars) {
    let text = strings[key] || key;
    Object.keys(vars || {}).forEach(function (name) { text = text.split('%(' + name + ')s').join(vars[name]); });
    return text;
  }

  function isTyping(target) {
    return !!target && (TYPING_TAGS.has(target.tagName) || target.isContentEditable);
  }

  // ------------------------------------------------------------------ menus (<details data-menu>)
  function closeMenus(except) {
    let closed = false;
    document.querySelectorAll('details[data-menu][open]').forEach(function (menu) {
      if (except && menu.contains(except)) return;
      menu.open = false;
      closed = true;
    });
    return closed;
  }
  document.addEventListener('click', function (event) {
    if (!event.target.closest('details[data-menu]')) closeMenus();
  });
  document.addEventListener('toggle', function (event) {
    const menu = event.target;
    if (menu.matches && menu.matches('details[data-menu]') && menu.open) closeMenus(menu);
  }, true);

  // ------------------------------------------------------------------ toasts
  function toast(message, kind) {
    const box = document.getElementById('toasts');
    if (!box || !message) return;
    const item = document.createElement('div');
    item.className = 'toast' + (kind ? ' toast-' + kind : '');
    item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, kind === 'error' ? 6000 : 4000);
  }
  document.addEventListener('htmx:responseError', function (event) {
    const status = event.detail.xhr && event.detail.xhr.status;
    if (status === 403 || status === 404) toast(t('no_access'), 'error');
    else toast(t('error'), 'error');
  });
  document.addEventListener('htmx:sendError', function () { toast(t('network'), 'error'); });

  // ------------------------------------------------------------------ websocket
  const listeners = {};
  const live = {
    socket: null,
    watching: null,
    watched: null,  // the conversation the server confirmed (watch.ok): its events now reach this tab
    connected: false,
    on: function (type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    emit: function (type, data) { (listeners[type] || []).forEach(function (fn) { try { fn(data); } catch (e) { console.error(e); } }); },
    send: function (payload) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(payload));
    },
    watch: function (displayId) {
      this.watching = displayId || null;
      this.send({ action: 'watch', display_id: this.watching });
    },
  };
  let attempts = 0;
  let heartbeat = null;
  let everOpened = false;
  let reconnectTimer = null;

  function connect() {
    const path = body.dataset.wsPath;
    if (!path || !('WebSocket' in window)) return;
    const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path);
    live.socket = socket;
    socket.addEventListener('open', function () {
      const reconnected = everOpened;
      if (attempts > 1) toast(t('online'), 'success');
      attempts = 0;
      everOpened = true;
      live.connected = true;
      body.classList.remove('is-offline');
      clearInterval(heartbeat);
      heartbeat = setInterval(function () { live.send({ action: 'heartbeat' }); }, 20000);
      if (live.watching) live.send({ action: 'watch', display_id: live.watching });
      live.emit('open', { reconnected: reconnected });  // listeners re-GET what they show (resync)
    });
    socket.addEventListener('message', function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data && data.type === 'watch.ok') live.watched = data.display_id;
      if (data && data.type) {
        live.emit(data.type, data);
        live.emit('*', data);
      }
    });
    socket.addEventListener('close', function (event) {
      clearInterval(heartbeat);
      live.connected = false;
      live.watched = null;
      if (live.socket !== socket) return;
      if (event.code === 4401) {  // signed out (here or elsewhere): back to the login page
        location.assign((body.dataset.loginUrl || '/login/') + '?next=' + encodeURIComponent(location.pathname + location.search));
        return;
      }
      if (event.code === 4403) return;  // no longer a member of this account
      body.classList.add('is-offline');
      attempts += 1;
      if (attempts === 2) toast(t('offline'));
      const delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts, 5))) * (0.5 + Math.random());
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, delay);
    });
  }
  // Coming back to a sleeping tab: reconnect at once instead of waiting for the backoff.
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && live.socket && live.socket.readyState === WebSocket.CLOSED && body.dataset.wsPath) {
      clearTimeout(reconnectTimer);
      connect();
    }
  });
  window.addEventListener('online', function () {
    if (live.socket && live.socket.readyState === WebSocket.CLOSED) { clearTimeout(reconnectTimer); connect(); }
  });

  // ------------------------------------------------------------------ sound & desktop notifications
  let audio = null;
  function playSound() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const now = audio.currentTime;
      [[880, 0], [1318.5, 0.12]].forEach(function (note) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = 'sine';
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, now + note[1]);
        gain.gain.exponentialRampToValueAtTime(0.18, now + note[1] + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + note[1] + 0.22);
        osc.connect(gain).connect(audio.destination);
        osc.start(now + note[1]);
        osc.stop(now + note[1] + 0.25);
      });
    } catch (e) { /* no audio: fine */ }
  }
  function notifyDesktop(title, text, url) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const note = new Notification(title, { body: text || '', tag: url || title, icon: '/static/img/logo.svg' });
      note.onclick = function () { window.focus(); if (url) location.assign(url); note.close(); };
    } catch (e) { /* some browsers only allow service-worker notifications */ }
  }
  function askDesktopPermission() {
    if ('Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().then(updateDesktopButton);
    }
  }
  function updateDesktopButton() {
    const button = document.querySelector('[data-action="enable-desktop-notifications"]');
    if (button) button.hidden = !('Notification' in window) || Notification.permission !== 'default';
  }

  // ------------------------------------------------------------------ bell
  function setBell(count) {
    const badge = document.getElementById('bell-count');
    if (!badge) return;
    count = Math.max(0, count | 0);
    badge.textContent = count > 99 ? '99+' : String(count);
    badge.dataset.count = String(count);
    badge.hidden = count === 0;
  }
  function bellCount() {
    const badge = document.getElementById('bell-count');
    return badge ? parseInt(badge.dataset.count || badge.textContent || '0', 10) || 0 : 0;
  }
  live.on('notification.created', function (data) {
    setBell(bellCount() + 1);
    const url = data.display_id && body.dataset.inboxUrl ? body.dataset.inboxUrl + data.display_id + '/' : null;
    if (document.hidden) {
      notifyDesktop(data.title, data.body, url);
      playSound();
    } else {
      toast(data.title + (data.body ? ' · ' + data.body : ''));
    }
  });
  document.addEventListener('htmx:load', function (event) {
    const list = event.target.id === 'notification-list' ? event.target : null;
    if (list) {
      setBell(parseInt(list.dataset.unread || '0', 10));
      updateDesktopButton();
    }
  });

  // ------------------------------------------------------------------ presence
  live.on('presence.changed', function (data) {
    document.querySelectorAll('[data-presence-user="' + data.user_id + '"]').forEach(function (dot) {
      dot.dataset.availability = data.availability;
    });
    if (String(data.user_id) === body.dataset.userId) markAvailability(data.availability);
  });
  const AVAILABILITY = { 0: 'online', 1: 'offline', 2: 'busy' };
  function markAvailability(name) {
    document.querySelectorAll('.availability-option').forEach(function (option) {
      option.classList.toggle('is-selected', AVAILABILITY[option.dataset.availabilityValue] === name);
    });
    document.querySelectorAll('[data-presence-user="' + body.dataset.userId + '"]').forEach(function (dot) {
      dot.dataset.availability = name;
    });
  }
  document.addEventListener('htmx:afterRequest', function (event) {
    const option = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest('.availability-option');
    if (option && event.detail.successful) {
      markAvailability(AVAILABILITY[option.dataset.availabilityValue]);
      closeMenus();
    }
  });

  // ------------------------------------------------------------------ clicks & keyboard
  function openShortcuts() {
    const dialog = document.getElementById('shortcuts-dialog');
    if (dialog && !dialog.open) { closeMenus(); dialog.showModal(); }
  }
  document.addEventListener('click', function (event) {
    const action = event.target.closest('[data-action]');
    if (!action) return;
    switch (action.dataset.action) {
      case 'shortcuts': openShortcuts(); break;
      case 'close-dialog': action.closest('dialog').close(); break;
      case 'enable-desktop-notifications': askDesktopPermission(); break;
      default: return;
    }
  });
  // The bell is a natural moment to ask for desktop notifications (a user click, never on load).
  document.addEventListener('toggle', function (event) {
    if (event.target.id === 'bell' && event.target.open) updateDesktopButton();
  }, true);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      if (closeMenus()) { event.preventDefault(); return; }
    }
    const typing = isTyping(event.target);
    if ((event.key === '?' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) ||
        (event.altKey && (event.key === '/' || event.code === 'Slash'))) {
      event.preventDefault();
      openShortcuts();
    }
  });

  window.Autonomia = {
    live: live, toast: toast, t: t, closeMenus: closeMenus, isTyping: isTyping,
    playSound: playSound, notifyDesktop: notifyDesktop, setBell: setBell,
  };
  connect();
})();
