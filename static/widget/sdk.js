/* Autonomia website widget loader, served at <baseUrl>/packs/js/sdk.js (drop-in for Chatwoot's SDK).
 *
 *   window.chatwootSettings = { position: 'left', locale: 'en', launcherTitle: 'Fale conosco' };
 *   window.chatwootSDK.run({ websiteToken: '...', baseUrl: 'https://autonomia.example.com' });
 *
 * Draws only the bubble. The chat frame (and its JS/CSS) is created when the bubble is opened or a reply
 * arrives. The visitor's identity token lives in this site's `cw_conversation` cookie; while one exists a small
 * websocket counts unread replies for the badge and fires `chatwoot:on-message`.
 */
(function () {
  'use strict';
  if (window.chatwootSDK && window.chatwootSDK.__autonomia) return;

  var COOKIE = 'cw_conversation';
  // A page with a nonce-based Content-Security-Policy only applies <style> elements carrying its nonce: reuse
  // the one this script (or, when it was inserted by another script, the page's first script) was given.
  var NONCE = (document.currentScript && document.currentScript.nonce) || (function () {
    var tagged = document.querySelector('script[nonce]');
    return tagged ? tagged.nonce || tagged.getAttribute('nonce') || '' : '';
  })();
  var DAYS = 180;

  function cookie(name, value, days) {
    if (arguments.length === 1) {
      var match = document.cookie.match('(?:^|; )' + name.replace(/[.$?*|{}()[\]\\/+^]/g, '\\$&') + '=([^;]*)');
      return match ? decodeURIComponent(match[1]) : '';
    }
    var secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = name + '=' + encodeURIComponent(value) + '; path=/; max-age=' +
      (value ? days * 86400 : 0) + '; SameSite=Lax' + secure;
  }

  function fire(name, detail) {
    window.dispatchEvent(new CustomEvent('chatwoot:' + name, { detail: detail }));
  }

  function hash(text) { // cheap fingerprint of setUser data, to skip repeated calls (Chatwoot keeps an md5)
    var h = 5381;
    for (var i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) | 0;
    return String(h >>> 0);
  }

  function run(options) {
    if (window.$chatwoot && window.$chatwoot.hasLoaded) return;
    var settings = window.chatwootSettings || {};
    var token = options.websiteToken;
    var base = String(options.baseUrl || '').replace(/\/+$/, '');
    var baseOrigin = new URL(base, location.href).origin;
    var state = { open: false, unread: 0, locale: settings.locale || (settings.useBrowserLanguage ? navigator.language : ''),
                  frame: null, socket: null, retry: 0, queue: Promise.resolve(), config: null };
    var root, bubble, badge, holder;

    function auth() { return cookie(COOKIE); }
    function saveAuth(value) {
      if (value && value !== auth()) { cookie(COOKIE, value, DAYS); connect(); }
    }

    function api(method, path, body) {
      var headers = { 'Content-Type': 'application/json' };
      if (auth()) headers['X-Auth-Token'] = auth();
      var url = base + '/api/v1/widget/' + path + (path.indexOf('?') < 0 ? '?' : '&') +
        'website_token=' + encodeURIComponent(token) + (state.locale ? '&locale=' + encodeURIComponent(state.locale) : '');
      return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
        .then(function (response) {
          saveAuth(response.headers.get('X-Auth-Token'));
          return response.text().then(function (text) {
            var data = text ? JSON.parse(text) : {};
            if (!response.ok) { fire('error', { status: response.status, message: data.error || data.message }); throw data; }
            return data;
          });
        });
    }

    // Calls run one after another, so setUser finishes before setCustomAttributes uses its token.
    function queued(method, path, body) {
      var call = state.queue.then(function () { return api(method, path, body); });
      state.queue = call.catch(function () {});
      return call;
    }

    // ------------------------------------------------------------------ the bubble
    function draw(config) {
      var left = (settings.position || config.position) === 'left';
      var color = config.widget_color || '#1f93ff';
      var style = document.createElement('style');
      if (NONCE) style.nonce = NONCE;
      style.textContent =
        '.aw-root{position:fixed;bottom:20px;' + (left ? 'left' : 'right') + ':20px;z-index:2147483000;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
        '.aw-bubble{all:unset;box-sizing:border-box;display:flex;align-items:center;gap:8px;height:56px;min-width:56px;padding:0 16px;justify-content:center;border-radius:28px;background:' + color + ';color:#fff;cursor:pointer;box-shadow:0 6px 24px rgba(15,23,42,.24);transition:transform .15s ease,box-shadow .15s ease;font-size:15px;font-weight:600;position:relative}' +
        '.aw-bubble:hover{transform:translateY(-2px);box-shadow:0 10px 28px rgba(15,23,42,.3)}.aw-bubble:focus-visible{outline:3px solid rgba(15,23,42,.35);outline-offset:3px}' +
        '.aw-bubble svg{width:26px;height:26px;flex:none}.aw-bubble .aw-x{display:none}.aw-open .aw-bubble .aw-x{display:block}.aw-open .aw-bubble .aw-chat,.aw-open .aw-bubble .aw-title{display:none}.aw-open .aw-bubble{padding:0;width:56px}' +
        '.aw-badge{position:absolute;top:-4px;' + (left ? 'left' : 'right') + ':-4px;min-width:20px;height:20px;padding:0 6px;box-sizing:border-box;border-radius:10px;background:#e11d48;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;border:2px solid #fff}' +
        '.aw-badge[hidden]{display:none}.aw-hidden .aw-bubble{display:none}' +
        '.aw-frame{position:absolute;bottom:72px;' + (left ? 'left' : 'right') + ':0;width:400px;height:min(680px,calc(100vh - 112px));border:0;border-radius:16px;background:#fff;box-shadow:0 12px 48px rgba(15,23,42,.22);opacity:0;transform:translateY(12px) scale(.98);transform-origin:bottom ' + (left ? 'left' : 'right') + ';pointer-events:none;visibility:hidden;transition:opacity .18s ease,transform .18s ease,visibility 0s linear .18s}' +
        '.aw-open .aw-frame{opacity:1;transform:none;pointer-events:auto;visibility:visible;transition:opacity .18s ease,transform .18s ease}' +
        '@media (max-width:520px){.aw-open{inset:0}.aw-open .aw-frame{position:fixed;inset:0;width:100%;height:100%;border-radius:0}.aw-open .aw-bubble{display:none}}';
      document.head.appendChild(style);
      root = document.createElement('div');
      root.className = 'aw-root' + (settings.hideMessageBubble ? ' aw-hidden' : '');
      bubble = document.createElement('button');
      bubble.type = 'button';
      bubble.className = 'aw-bubble';
      var title = settings.launcherTitle || config.launcher_title || '';
      bubble.setAttribute('aria-label', title || config.website_name || 'Chat');
      bubble.innerHTML = '<svg class="aw-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8.5 8.5 0 0 1-12.3 7.6L3 21l1.5-5.2A8.5 8.5 0 1 1 21 12z"/></svg>' +
        '<svg class="aw-x" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>' +
        '<span class="aw-title"></span><span class="aw-badge" hidden></span>';
      bubble.querySelector('.aw-title').textContent = settings.type === 'expanded_bubble' ? title : '';
      badge = bubble.querySelector('.aw-badge');
      bubble.addEventListener('click', function () { toggle(); });
      root.appendChild(bubble);
      document.body.appendChild(root);
    }

    function setUnread(count) {
      state.unread = count;
      badge.hidden = !count || state.open;
      badge.textContent = count > 9 ? '9+' : String(count);
    }

    // ------------------------------------------------------------------ the frame
    function frameUrl() {
      var params = 'website_token=' + encodeURIComponent(token) + '&origin=' + encodeURIComponent(location.origin);
      if (auth()) params += '&cw_conversation=' + encodeURIComponent(auth());
      if (state.locale) params += '&locale=' + encodeURIComponent(state.locale);
      if (settings.darkMode) params += '&dark_mode=' + encodeURIComponent(settings.darkMode);
      return base + '/widget?' + params;
    }

    function mount() {
      if (state.frame) return;
      holder = document.createElement('iframe');
      holder.className = 'aw-frame';
      holder.title = state.config && state.config.website_name || 'Chat';
      holder.setAttribute('allow', 'clipboard-write');
      holder.src = frameUrl();
      root.appendChild(holder);
      state.frame = holder;
    }

    function reloadFrame() { if (state.frame) state.frame.src = frameUrl(); }

    function post(message) {
      if (state.frame && state.frame.contentWindow) state.frame.contentWindow.postMessage(message, baseOrigin);
    }

    function toggle(wanted) {
      var open = wanted === 'open' ? true : wanted === 'close' ? false : !state.open;
      if (open === state.open) return;
      if (open) mount();
      state.open = open;
      root.classList.toggle('aw-open', open);
      post({ type: 'autonomia:visibility', open: open });
      if (open) setUnread(0);
      fire(open ? 'opened' : 'closed');
    }

    window.addEventListener('message', function (event) {
      if (event.origin !== baseOrigin || !state.frame || event.source !== state.frame.contentWindow) return;
      var data = event.data || {};
      if (data.type === 'autonomia:token') saveAuth(data.token);
      else if (data.type === 'autonomia:close') toggle('close');
      else if (data.type === 'autonomia:started') fire('on-start-conversation', data.conversation);
      else if (data.type === 'autonomia:ready') post({ type: 'autonomia:visibility', open: state.open });
    });

    // ------------------------------------------------------------------ replies while the frame is closed
    function connect() {
      if (!auth() || !window.WebSocket) return;
      if (state.socket) state.socket.close();
      var socket = new WebSocket(baseOrigin.replace(/^http/, 'ws') + '/ws/widget/?website_token=' + encodeURIComponent(token));
      state.socket = socket;
      socket.onopen = function () { state.retry = 0; socket.send(JSON.stringify({ action: 'auth', auth_token: auth() })); };
      socket.onmessage = function (event) {
        var frame = JSON.parse(event.data);
        if (frame.event !== 'message.created') return;
        var message = frame.data;
        if (message.message_type === 1 || message.message_type === 3) {
          fire('on-message', message);
          mount(); // a reply arrived: load the chat so it is ready when the visitor opens it
          if (!state.open) setUnread(state.unread + 1);
        }
      };
      socket.onclose = function (event) {
        if (state.socket !== socket || event.code === 4401) return;
        state.retry = Math.min(state.retry + 1, 6);
        setTimeout(connect, 1000 * Math.pow(2, state.retry - 1));
      };
    }

    // ------------------------------------------------------------------ window.$chatwoot
    window.$chatwoot = {
      hasLoaded: false,
      isOpen: function () { return state.open; },
      toggle: toggle,
      toggleBubbleVisibility: function (visibility) { root.classList.toggle('aw-hidden', visibility === 'hide'); },
      popoutChatWindow: function () {
        toggle('close');
        window.open(frameUrl() + '&popout=1', 'autonomia-chat', 'width=400,height=640,resizable=yes');
      },
      setUser: function (identifier, user) {
        user = user || {};
        var key = 'cw_user_' + token;
        var fingerprint = hash(JSON.stringify([identifier, user]));
        if (cookie(key) === fingerprint && auth()) return Promise.resolve();
        var body = { identifier: String(identifier) };
        ['name', 'email', 'avatar_url', 'phone_number', 'identifier_hash', 'description', 'company_name',
          'country_code', 'city', 'social_profiles', 'custom_attributes'].forEach(function (field) {
          if (user[field] !== undefined) body[field] = user[field];
        });
        var before = auth();
        return queued('PATCH', 'contact/set_user', body).then(function (data) {
          cookie(key, fingerprint, DAYS);
          if (auth() !== before) reloadFrame();
          else post({ type: 'autonomia:refresh' });
          return data;
        });
      },
      setCustomAttributes: function (attributes) {
        return queued('PATCH', 'contact', { custom_attributes: attributes || {} });
      },
      deleteCustomAttribute: function (key) {
        return queued('POST', 'contact/destroy_custom_attributes', { custom_attributes: [key] });
      },
      setConversationCustomAttributes: function (attributes) {
        return queued('POST', 'conversations/set_custom_attributes', { custom_attributes: attributes || {} });
      },
      deleteConversationCustomAttribute: function (key) {
        return queued('POST', 'conversations/destroy_custom_attributes', { custom_attribute: [key] });
      },
      setLabel: function (label) { return queued('POST', 'labels', { label: label }); },
      removeLabel: function (label) { return queued('DELETE', 'labels/' + encodeURIComponent(label)); },
      setLocale: function (locale) { state.locale = locale; reloadFrame(); },
      setColorScheme: function (scheme) { settings.darkMode = scheme; reloadFrame(); },
      reset: function () {
        cookie(COOKIE, '', 0);
        cookie('cw_user_' + token, '', 0);
        if (state.socket) { var socket = state.socket; state.socket = null; socket.close(); }
        if (state.frame) { state.frame.remove(); state.frame = null; }
        toggle('close');
        setUnread(0);
      },
    };

    api('POST', 'config').then(function (data) {
      state.config = data.website_channel_config;
      draw(state.config);
      window.$chatwoot.hasLoaded = true;
      if (data.conversation && data.conversation.unread_count) setUnread(data.conversation.unread_count);
      connect();
      fire('ready');
    }).catch(function (error) { fire('error', error); });
  }

  window.chatwootSDK = { run: run, __autonomia: true };
})();
