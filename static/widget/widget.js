/* The chat window inside the widget frame (templates/widget/frame.html). No framework, no build step.
 *
 * State arrives in the page (#widget-state: config, visitor, conversation, latest messages, identity token).
 * Writes go to /api/v1/widget/* with the token in X-Auth-Token; a new token from the server is handed to the
 * parent page (the loader keeps it in its cookie). Replies, typing and status arrive over /ws/widget/; after a
 * reconnect the thread is re-fetched from the last known message, and messages typed while offline wait in an
 * outbox until they are accepted.
 *
 * Before a chat starts, a widget whose inbox has a public help center (config.help_center) searches it as the
 * visitor types (/hc/<slug>/<locale>/articles.json, same origin) and opens articles inside the frame
 * (/api/v1/widget/articles/<id>); each opening is counted with POST /hc/<slug>/articles/<id>/view?source=widget.
 */
(function () {
  'use strict';

  var state = JSON.parse(document.getElementById('widget-state').textContent);
  var T = JSON.parse(document.getElementById('widget-i18n').textContent);
  var config = state.config;
  var params = new URLSearchParams(location.search);
  var parentOrigin = params.get('origin') || '*';
  var popout = params.get('popout') === '1';
  var locale = params.get('locale') || '';
  var token = state.auth_token || params.get('cw_conversation') || '';
  var messages = new Map(); // id -> message
  var outbox = []; // {echo_id, content, files, status}
  var socket = null, retry = 0, visible = popout, typingTimer = null, ownTyping = false, ownTypingTimer = null;
  var pendingFiles = [];
  var root = document.getElementById('widget');

  // ------------------------------------------------------------------ helpers
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === 'text') node.textContent = value;
      else if (key === 'html') node.innerHTML = value; // only server-sanitised HTML (content_html)
      else if (key.slice(0, 2) === 'on') node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child); });
    return node;
  }
  function fmt(text, values) { return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; }); }
  function $(selector) { return root.querySelector(selector); }
  function icon(path) {
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24'); svg.setAttribute('aria-hidden', 'true');
    svg.innerHTML = path;
    return svg;
  }
  var ICONS = {
    close: '<path d="M6 6l12 12M18 6L6 18"/>',
    send: '<path d="M4 12l16-8-6 16-2.5-6.5z"/>',
    clip: '<path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/>',
    file: '<path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/><path d="M14 3v6h6"/>',
    more: '<circle cx="12" cy="5" r="1.6"/><circle cx="12" cy="12" r="1.6"/><circle cx="12" cy="19" r="1.6"/>',
    search: '<circle cx="11" cy="11" r="7"/><path d="m20 20-3.5-3.5"/>',
    back: '<path d="m12 19-7-7 7-7"/><path d="M19 12H5"/>',
    external: '<path d="M15 3h6v6"/><path d="M10 14 21 3"/><path d="M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6"/>',
  };
  function tell(message) { if (window.parent !== window) window.parent.postMessage(message, parentOrigin); }
  function setToken(value) {
    if (value && value !== token) { token = value; tell({ type: 'autonomia:token', token: value }); }
  }

  function api(method, path, body) {
    var url = '/api/v1/widget/' + path + (path.indexOf('?') < 0 ? '?' : '&') + 'website_token=' +
      encodeURIComponent(config.website_token) + (locale ? '&locale=' + encodeURIComponent(locale) : '');
    var headers = {};
    if (token) headers['X-Auth-Token'] = token;
    if (body && !(body instanceof FormData)) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(body); }
    return fetch(url, { method: method, headers: headers, body: body, credentials: 'omit' }).then(function (response) {
      setToken(response.headers.get('X-Auth-Token'));
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : {};
        if (!response.ok) { var error = new Error(data.error || data.message || response.statusText); error.status = response.status; error.data = data; throw error; }
        return data;
      });
    });
  }

  // ------------------------------------------------------------------ availability
  function statusLine() {
    if (config.is_online) return T[config.reply_time] || T.online;
    if (!config.next_opening) return T.away;
    var opens = new Date(config.next_opening);
    var time = config.next_opening.slice(11, 16); // the inbox's local time, as the business announces it
    var today = new Date(), tomorrow = new Date(today.getTime() + 86400000);
    var day = config.next_opening.slice(0, 10);
    var iso = function (d) { return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); };
    if (day === iso(today)) return fmt(T.back_at, { time: time });
    var dayName = day === iso(tomorrow) ? T.tomorrow : opens.toLocaleDateString(document.documentElement.lang, { weekday: 'long' });
    return fmt(T.back_on, { day: dayName, time: time });
  }

  // ------------------------------------------------------------------ layout
  function initials(name) {
    return (name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map(function (p) { return p[0]; }).join('').toUpperCase();
  }
  function avatar(url, name, extra) {
    return h('span', { class: 'avatar ' + (extra || '') }, [url ? h('img', { src: url, alt: '' }) : h('span', { text: initials(name) })]);
  }

  function render() {
    var searching = document.activeElement && document.activeElement.id === 'hc-q';
    root.textContent = '';
    var hasThread = !!state.conversation || messages.size > 0 || outbox.length > 0;
    var article = hasThread ? null : reading;
    root.classList.toggle('has-thread', hasThread);
    var menu = null;
    if (config.enabled_features.indexOf('end_conversation') >= 0 && state.conversation && state.conversation.status !== 'resolved') {
      var list = h('div', { class: 'menu', role: 'menu', hidden: true }, [
        h('button', { type: 'button', role: 'menuitem', text: T.end, onclick: endConversation })]);
      menu = h('div', { class: 'menu-wrap' }, [
        h('button', { type: 'button', class: 'icon-btn', title: T.end, 'aria-label': T.end, 'aria-haspopup': 'menu',
          onclick: function (event) { event.stopPropagation(); list.hidden = !list.hidden; } }, [icon(ICONS.more)]), list]);
    }
    var header = h('header', { class: 'header' }, [
      h('div', { class: 'header-top' }, [
        avatar(config.avatar_url, config.website_name, 'avatar-brand'),
        h('div', { class: 'header-text' }, [
          h('strong', { class: 'header-name', text: config.website_name }),
          h('span', { class: 'header-status' }, [h('span', { class: 'dot' + (config.is_online ? ' online' : '') }), statusLine()]),
        ]),
        menu,
        popout ? null : h('button', { type: 'button', class: 'icon-btn', title: T.close, 'aria-label': T.close, onclick: function () { tell({ type: 'autonomia:close' }); } }, [icon(ICONS.close)]),
      ]),
      hasThread || article ? null : h('div', { class: 'hero' }, [
        h('h1', { text: config.welcome_title || T.welcome_title }),
        h('p', { text: config.welcome_tagline || T.welcome_tagline }),
      ]),
    ]);
    root.appendChild(header);
    var body = h('section', { class: 'body', id: 'body' });
    root.appendChild(body);
    if (article) {
      body.appendChild(articleView());
    } else if (!hasThread && wantsPreChat()) {
      if (hc) body.appendChild(helpCard());
      body.appendChild(preChatForm());
    } else {
      if (hc && !hasThread) body.appendChild(helpCard());
      body.appendChild(h('div', { class: 'thread', id: 'thread', role: 'log' }));
      body.appendChild(h('div', { class: 'typing', id: 'typing', hidden: true }, [h('span', { class: 'dots' }, [h('i'), h('i'), h('i')]), h('span', { text: T.typing })]));
      renderThread();
      root.appendChild(footer());
    }
    root.appendChild(h('div', { class: 'connection', id: 'connection', hidden: true, text: T.reconnecting }));
    if (hc && !hasThread && !article) renderResults();
    if (searching && $('#hc-q')) $('#hc-q').focus();
  }

  // ------------------------------------------------------------------ help center (deflection)
  var hc = config.help_center; // {slug, locale, url} of the inbox's public portal, or null
  var search = { query: '', results: null, active: -1, error: false, seq: 0, timer: null, pending: false, recorded: '' };
  var reading = null; // {item, article, error}: the article open inside the widget

  function searchUrl(query, record) {
    return '/hc/' + encodeURIComponent(hc.slug) + '/' + encodeURIComponent(hc.locale) + '/articles.json?per_page=5&record=' +
      (record ? 1 : 0) + '&query=' + encodeURIComponent(query);
  }
  function getJSON(url, options) {
    return fetch(url, Object.assign({ credentials: 'omit' }, options)).then(function (response) {
      if (!response.ok) throw new Error(response.statusText);
      return response.status === 204 ? null : response.json();
    });
  }

  function helpCard() {
    var input = h('input', { type: 'search', id: 'hc-q', class: 'hc-input', value: search.query, placeholder: T.hc_placeholder,
      autocomplete: 'off', enterkeyhint: 'search', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
      'aria-controls': 'hc-list', 'aria-labelledby': 'hc-title', oninput: typed, onkeydown: searchKeys, onblur: recordSearch });
    return h('section', { class: 'card hc-card', 'aria-labelledby': 'hc-title' }, [
      h('h2', { class: 'hc-title', id: 'hc-title', text: T.hc_title }),
      h('div', { class: 'hc-search' }, [icon(ICONS.search), input]),
      h('div', { class: 'hc-results', id: 'hc-results', 'aria-live': 'polite' }),
    ]);
  }

  function typed(event) {
    search.query = event.target.value.trim();
    clearTimeout(search.timer);
    search.pending = true;
    search.timer = setTimeout(runSearch, 250);
    if (search.query.length < 2) runSearch();
  }

  function runSearch() {
    var query = search.query, seq = ++search.seq;
    clearTimeout(search.timer);
    search.pending = false;
    search.active = -1; search.error = false;
    if (query.length < 2) { search.results = null; renderResults(); return; }
    if (!search.results) renderResults(true);
    getJSON(searchUrl(query, false)).then(function (data) {
      if (seq !== search.seq) return; // an older answer arriving late
      search.results = data.payload.slice(0, 5);
      renderResults();
    }).catch(function () {
      if (seq !== search.seq) return;
      search.results = []; search.error = true;
      renderResults();
    });
  }

  function recordSearch() {
    // Searches are fetched with record=0 while typing ("co", "com", "como"…); the term the visitor settled on is
    // counted once, when they leave the box, open an article or start a conversation.
    var query = search.query;
    if (!hc || query.length < 2 || query === search.recorded) return;
    search.recorded = query;
    getJSON(searchUrl(query, true)).catch(function () {});
  }

  function shownItems() {
    return search.query.length >= 2 ? (search.results || []) : (state.articles || []);
  }

  function renderResults(loading) {
    var box = document.getElementById('hc-results'), input = document.getElementById('hc-q');
    if (!box) return;
    box.textContent = '';
    var typedQuery = search.query.length >= 2, items = shownItems();
    if (loading) box.appendChild(h('p', { class: 'muted hc-note', text: T.hc_searching }));
    else if (search.error) box.appendChild(h('p', { class: 'muted hc-note', text: T.hc_error }));
    else if (typedQuery && !items.length) box.appendChild(h('p', { class: 'muted hc-note', text: fmt(T.hc_none, { query: search.query }) }));
    else if (!typedQuery && items.length) box.appendChild(h('p', { class: 'hc-label', id: 'hc-popular', text: T.hc_popular }));
    if (items.length && !loading) {
      box.appendChild(h('ul', { class: 'hc-list', id: 'hc-list', role: 'listbox', 'aria-labelledby': typedQuery ? 'hc-title' : 'hc-popular' },
        items.map(function (item, index) {
          return h('li', { id: 'hc-opt-' + index, class: 'hc-item' + (index === search.active ? ' is-active' : ''), role: 'option',
            'aria-selected': index === search.active ? 'true' : 'false', 'data-id': item.id,
            onmousedown: function (event) { event.preventDefault(); }, // keep the focus in the box
            onclick: function () { openArticle(item); } }, [
            h('span', { class: 'hc-item-title', html: item.title_html || null, text: item.title_html ? null : item.title }),
            item.snippet_html || item.description ? h('span', { class: 'hc-snippet', html: item.snippet_html || null, text: item.snippet_html ? null : item.description }) : null,
          ]);
        })));
    }
    if (typedQuery && !loading) {
      box.appendChild(h('p', { class: 'hc-still-line' }, [T.hc_still + ' ',
        h('button', { type: 'button', class: 'link', text: T.start, onclick: startConversation })]));
    }
    if (input) {
      input.setAttribute('aria-expanded', items.length && !loading ? 'true' : 'false');
      if (search.active >= 0) input.setAttribute('aria-activedescendant', 'hc-opt-' + search.active);
      else input.removeAttribute('aria-activedescendant');
    }
  }

  function searchKeys(event) {
    var items = shownItems();
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (!items.length) return;
      event.preventDefault();
      // -1 is the search box itself: Down from the last option, or Up from the first, comes back to it.
      var next = search.active + (event.key === 'ArrowDown' ? 1 : -1);
      search.active = next < -1 ? items.length - 1 : next >= items.length ? -1 : next;
      renderResults();
      var option = document.getElementById('hc-opt-' + search.active);
      if (option) option.scrollIntoView({ block: 'nearest' });
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (search.active >= 0) openArticle(items[search.active]);
      else if (search.pending) { runSearch(); recordSearch(); } // the list on screen is for an older query
      else if (search.query.length >= 2 && items.length) openArticle(items[0]);
      else recordSearch();
    } else if (event.key === 'Escape' && event.target.value) {
      event.preventDefault();
      event.target.value = ''; search.query = ''; runSearch();
    }
  }

  function openArticle(item) {
    recordSearch();
    reading = { item: item, article: null, error: false };
    render();
    var current = reading;
    api('GET', 'articles/' + item.id).then(function (article) {
      current.article = article;
    }).catch(function () { current.error = true; }).then(function () {
      if (reading === current) { render(); var title = document.getElementById('hc-article-title'); if (title) title.focus(); }
    });
    // Counted as a widget view (Article.widget_views); keepalive lets it finish if the page goes away.
    getJSON('/hc/' + encodeURIComponent(hc.slug) + '/articles/' + item.id + '/view?source=widget',
      { method: 'POST', keepalive: true }).catch(function () {});
  }

  function articleView() {
    var article = reading.article, item = reading.item;
    var content = article ? h('div', { class: 'text hc-body', html: article.content_html })
      : h('p', { class: 'muted', text: reading.error ? T.hc_error : T.loading });
    // Links in the article leave the widget in a new tab; in-page anchors (the table of contents) stay.
    content.querySelectorAll('a[href]').forEach(function (a) {
      if (a.getAttribute('href').charAt(0) !== '#') { a.target = '_blank'; a.rel = 'noopener'; }
    });
    return h('article', { class: 'hc-article', 'aria-busy': article || reading.error ? 'false' : 'true' }, [
      h('button', { type: 'button', class: 'hc-back', id: 'hc-back', onclick: closeArticle }, [icon(ICONS.back), h('span', { text: T.hc_back })]),
      h('h2', { class: 'hc-article-title', id: 'hc-article-title', tabindex: '-1', text: (article || item).title }),
      content,
      h('a', { class: 'hc-open', href: (article || item).link, target: '_blank', rel: 'noopener' }, [h('span', { text: T.hc_open }), icon(ICONS.external)]),
      h('div', { class: 'hc-still' }, [h('p', { text: T.hc_still }),
        h('button', { type: 'button', class: 'btn-primary', id: 'hc-start', text: T.start, onclick: startConversation })]),
    ]);
  }

  function closeArticle() {
    reading = null;
    render();
    var input = document.getElementById('hc-q');
    if (input) input.focus();
  }

  function startConversation() {
    recordSearch();
    reading = null;
    render();
    var target = root.querySelector('form.prechat input, form.prechat select, form.prechat textarea, #composer');
    if (target) { target.focus(); target.scrollIntoView({ block: 'center' }); }
  }

  // ------------------------------------------------------------------ pre-chat form
  function fieldLabel(field) {
    return field.label || { fullName: T.full_name, emailAddress: T.email, phoneNumber: T.phone }[field.name] || field.name;
  }
  var KNOWN = { fullName: 'name', emailAddress: 'email', phoneNumber: 'phone_number' };
  function enabledFields() {
    // What we already know about the visitor (setUser, an earlier form) is not asked again.
    var options = config.pre_chat_form_options || {}, contact = state.contact || {};
    return (options.pre_chat_fields || []).filter(function (f) {
      return f.enabled !== false && !(KNOWN[f.name] && contact[KNOWN[f.name]]);
    });
  }
  function wantsPreChat() {
    return config.pre_chat_form_enabled && enabledFields().length > 0;
  }
  function preChatForm() {
    var options = config.pre_chat_form_options || {};
    var inputs = enabledFields().map(function (field) {
      var id = 'f-' + field.name;
      var type = { email: 'email', phone: 'tel', number: 'number', url: 'url', date: 'date' }[field.type] || 'text';
      var input = field.type === 'list'
        ? h('select', { id: id, name: field.name }, [h('option', { value: '', text: '' })].concat((field.values || []).map(function (v) { return h('option', { value: v, text: v }); })))
        : field.type === 'checkbox' ? h('input', { id: id, name: field.name, type: 'checkbox' })
          : h('input', { id: id, name: field.name, type: type, placeholder: field.placeholder || '', autocomplete: { fullName: 'name', emailAddress: 'email', phoneNumber: 'tel' }[field.name] || 'off' });
      return h('div', { class: 'field' + (field.type === 'checkbox' ? ' field-check' : '') }, [
        h('label', { for: id }, [fieldLabel(field), field.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null]),
        input, h('p', { class: 'error', id: id + '-error', hidden: true }),
      ]);
    });
    var form = h('form', { class: 'card prechat', novalidate: true, onsubmit: submitPreChat }, [
      h('p', { class: 'card-intro', text: options.pre_chat_message || T.prechat_intro }),
    ].concat(inputs).concat([
      h('div', { class: 'field' }, [h('label', { for: 'f-message' }, [T.message, h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' })]), h('textarea', { id: 'f-message', name: 'message', rows: 3 }), h('p', { class: 'error', id: 'f-message-error', hidden: true })]),
      h('button', { type: 'submit', class: 'btn-primary', text: T.start }),
    ]));
    return form;
  }

  function validate(field, value) {
    if (field.type === 'checkbox') return field.required && !value ? T.required : '';
    if (!value) return field.required ? T.required : '';
    if (field.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(value)) return T.invalid_email;
    if (field.type === 'phone' && !/^\+?[1-9][\d\s().-]{7,20}$/.test(value)) return T.invalid_phone;
    if (field.regex_pattern) {
      try { if (!new RegExp(field.regex_pattern).test(value)) return field.regex_cue || T.invalid_value; } catch (e) { /* checked on save */ }
    }
    return '';
  }

  function submitPreChat(event) {
    event.preventDefault();
    var form = event.target, ok = true, contact = {}, contactAttributes = {}, conversationAttributes = {};
    enabledFields().forEach(function (field) {
      var input = form.elements[field.name];
      var value = field.type === 'checkbox' ? input.checked : input.value.trim();
      var error = validate(field, value);
      var box = document.getElementById('f-' + field.name + '-error');
      box.textContent = error; box.hidden = !error;
      input.setAttribute('aria-invalid', error ? 'true' : 'false');
      if (error) { if (ok) input.focus(); ok = false; return; }
      if (value === '' || value === false) return;
      if (field.name === 'fullName') contact.name = value;
      else if (field.name === 'emailAddress') contact.email = value;
      else if (field.name === 'phoneNumber') contact.phone_number = value;
      else if (field.field_type === 'conversation_attribute') conversationAttributes[field.name] = value;
      else contactAttributes[field.name] = value;
    });
    var content = form.elements.message.value.trim();
    var messageError = document.getElementById('f-message-error');
    messageError.hidden = !!content; messageError.textContent = content ? '' : T.required;
    if (!content) { if (ok) form.elements.message.focus(); ok = false; }
    if (!ok) return;
    if (Object.keys(contactAttributes).length) contact.custom_attributes = contactAttributes;
    var button = form.querySelector('button[type=submit]');
    button.disabled = true;
    api('POST', 'conversations', { contact: contact, custom_attributes: conversationAttributes,
      message: { content: content, referer_url: document.referrer || '' } }).then(function (data) {
      if (contact.email) state.emailCollected = true;
      adoptConversation(data);
      tell({ type: 'autonomia:started', conversation: { id: data.id } });
    }).catch(function (error) {
      button.disabled = false;
      messageError.textContent = error.message; messageError.hidden = false;
    });
  }

  function adoptConversation(data) {
    state.conversation = data;
    (data.messages || []).forEach(function (m) { messages.set(m.id, m); });
    if (!state.contact) refreshContact();
    render();
    connect();
    markSeen();
  }

  function refreshContact() {
    return api('GET', 'contact').then(function (contact) { state.contact = contact; connect(); }).catch(function () {});
  }

  // ------------------------------------------------------------------ thread
  function sorted() {
    return Array.from(messages.values()).sort(function (a, b) { return a.id - b.id; });
  }
  function time(epoch) {
    return new Date(epoch * 1000).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
  }

  function bubbleFor(message) {
    var mine = message.message_type === 0;
    var attachments = (message.attachments || []).map(function (a) {
      if (a.file_type === 'image') {
        return h('a', { class: 'att-image', href: a.data_url, target: '_blank', rel: 'noopener' }, [
          h('img', { src: a.thumb_url || a.data_url, alt: a.file_name || '', width: a.width || null, height: a.height || null, loading: 'lazy' })]);
      }
      return h('a', { class: 'att-file', href: a.data_url, target: '_blank', rel: 'noopener', download: a.file_name || true }, [
        icon(ICONS.file), h('span', { text: a.file_name || T.download })]);
    });
    var text = message.content ? h('div', { class: 'text', html: message.content_html }) : null;
    var sender = message.sender && !mine ? message.sender.name : '';
    return h('div', { class: 'msg ' + (mine ? 'msg-in' : 'msg-out'), 'data-id': message.id }, [
      mine ? null : avatar(message.sender && message.sender.avatar_url || '', sender || config.website_name, 'avatar-sm'),
      h('div', { class: 'msg-body' }, [
        sender ? h('span', { class: 'msg-sender', text: sender }) : null,
        h('div', { class: 'bubble' + (attachments.length && !text ? ' bubble-media' : '') }, [text].concat(attachments)),
        h('span', { class: 'msg-meta', text: time(message.created_at) }),
      ]),
    ]);
  }

  function pendingBubble(item) {
    var note = item.status === 'failed'
      ? h('span', { class: 'msg-meta msg-failed' }, [(item.error || T.failed) + ' ', h('button', { type: 'button', class: 'link', text: T.retry, onclick: function () { item.status = 'sending'; flush(); renderThread(); } })])
      : h('span', { class: 'msg-meta', text: item.status === 'waiting' ? T.retrying : T.sending });
    var files = item.files.map(function (f) { return h('span', { class: 'att-file' }, [icon(ICONS.file), h('span', { text: f.name })]); });
    return h('div', { class: 'msg msg-in is-pending', 'data-echo': item.echo_id }, [
      h('div', { class: 'msg-body' }, [h('div', { class: 'bubble' }, [item.content ? h('div', { class: 'text', text: item.content }) : null].concat(files)), note])]);
  }

  function renderThread() {
    var thread = document.getElementById('thread');
    if (!thread) return;
    var stick = nearBottom();
    thread.textContent = '';
    if (state.hasOlder !== false && messages.size >= 20) {
      thread.appendChild(h('button', { type: 'button', class: 'older', text: T.older, onclick: loadOlder }));
    }
    sorted().forEach(function (m) { thread.appendChild(bubbleFor(m)); });
    outbox.forEach(function (item) { thread.appendChild(pendingBubble(item)); });
    var conversation = state.conversation;
    if (conversation && conversation.status === 'resolved') {
      thread.appendChild(h('div', { class: 'notice' }, [h('p', { text: T.resolved }),
        config.allow_messages_after_resolved ? null : h('button', { type: 'button', class: 'btn-primary btn-sm', text: T.new_conversation, onclick: newConversation })]));
    }
    if (wantsEmail()) thread.appendChild(emailCard());
    if (stick) scrollToBottom();
  }

  function nearBottom() {
    var body = document.getElementById('body');
    return !body || body.scrollHeight - body.scrollTop - body.clientHeight < 80;
  }
  function scrollToBottom() {
    var body = document.getElementById('body');
    if (body) body.scrollTop = body.scrollHeight;
  }

  function loadOlder() {
    var first = sorted()[0];
    if (!first) return;
    var body = document.getElementById('body'), height = body.scrollHeight;
    api('GET', 'messages?before=' + first.id).then(function (list) {
      state.hasOlder = list.length >= 20;
      list.forEach(function (m) { messages.set(m.id, m); });
      renderThread();
      body.scrollTop = body.scrollHeight - height;
    });
  }

  function addMessage(message) {
    if (message.message_type === 0) {
      var echo = outbox.findIndex(function (item) { return item.echo_id === message.echo_id || (item.status === 'sending' && item.content === message.content); });
      if (echo >= 0 && !messages.has(message.id)) return; // our own send: its answer will place it
    }
    var isNew = !messages.has(message.id);
    messages.set(message.id, message);
    if (state.conversation && message.conversation_id !== state.conversation.id) refreshConversation();
    renderThread();
    if (isNew && message.message_type !== 0) { hideTyping(); markSeen(); }
  }

  function refreshConversation() {
    return api('GET', 'conversations').then(function (data) {
      state.conversation = data;
      messages.clear();
      data.messages.forEach(function (m) { messages.set(m.id, m); });
      render();
    }).catch(function () {});
  }

  // ------------------------------------------------------------------ email collection
  function wantsEmail() {
    return config.enable_email_collect && state.contact && !state.contact.email && !state.emailCollected &&
      sorted().some(function (m) { return m.message_type === 0; });
  }
  function emailCard() {
    var input = h('input', { type: 'email', id: 'collect-email', placeholder: 'nome@exemplo.com', autocomplete: 'email', 'aria-label': T.email });
    var error = h('p', { class: 'error', hidden: true });
    return h('form', { class: 'card email-card', novalidate: true, onsubmit: function (event) {
      event.preventDefault();
      var value = input.value.trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(value)) { error.textContent = T.invalid_email; error.hidden = false; return; }
      api('PATCH', 'contact', { email: value }).then(function (contact) {
        state.contact = contact; state.emailCollected = true;
        var card = event.target;
        card.replaceWith(h('div', { class: 'notice', text: fmt(T.email_saved, { email: value }) }));
      }).catch(function (e) { error.textContent = e.message; error.hidden = false; });
    } }, [h('strong', { text: T.email_title }), h('p', { class: 'muted', text: T.email_help }),
      h('div', { class: 'inline' }, [input, h('button', { type: 'submit', class: 'btn-primary btn-sm', text: T.save })]), error]);
  }

  // ------------------------------------------------------------------ composer
  function footer() {
    var canAttach = config.enabled_features.indexOf('attachments') >= 0;
    var textarea = h('textarea', { id: 'composer', rows: 1, placeholder: T.placeholder, 'aria-label': T.placeholder, maxlength: 10000,
      onkeydown: function (event) {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(); }
      },
      oninput: function () { grow(textarea); typing(!!textarea.value.trim()); } });
    var file = canAttach ? h('input', { type: 'file', id: 'file', hidden: true, multiple: true, onchange: function () {
      pendingFiles = pendingFiles.concat(Array.from(file.files)); file.value = ''; renderFiles(); textarea.focus();
    } }) : null;
    return h('footer', { class: 'composer' }, [
      h('div', { class: 'files', id: 'files' }),
      h('div', { class: 'composer-row' }, [
        textarea,
        canAttach ? h('button', { type: 'button', class: 'icon-btn', title: T.attach, 'aria-label': T.attach, onclick: function () { file.click(); } }, [icon(ICONS.clip)]) : null,
        file,
        h('button', { type: 'button', class: 'send-btn', id: 'send', title: T.send, 'aria-label': T.send, onclick: send }, [icon(ICONS.send)]),
      ]),
      h('p', { class: 'powered', text: T.powered_by }),
    ]);
  }
  function grow(textarea) { textarea.style.height = 'auto'; textarea.style.height = Math.min(textarea.scrollHeight, 120) + 'px'; }
  function renderFiles() {
    var box = document.getElementById('files');
    box.textContent = '';
    pendingFiles.forEach(function (f, index) {
      var preview = /^image\//.test(f.type) ? h('img', { src: URL.createObjectURL(f), alt: '' }) : icon(ICONS.file);
      box.appendChild(h('span', { class: 'file-chip' }, [preview, h('span', { text: f.name }),
        h('button', { type: 'button', 'aria-label': T.remove_file, title: T.remove_file, text: '×', onclick: function () { pendingFiles.splice(index, 1); renderFiles(); } })]));
    });
  }

  function typing(on) {
    if (!state.conversation) return;
    clearTimeout(ownTypingTimer);
    if (on) ownTypingTimer = setTimeout(function () { typing(false); }, 3000);
    if (on === ownTyping) return;
    ownTyping = on;
    api('POST', 'conversations/toggle_typing', { typing_status: on ? 'on' : 'off' }).catch(function () {});
  }

  function send() {
    var textarea = document.getElementById('composer');
    var content = textarea.value.trim();
    if (!content && !pendingFiles.length) return;
    outbox.push({ echo_id: 'e' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8), content: content, files: pendingFiles, status: 'sending' });
    pendingFiles = [];
    textarea.value = ''; grow(textarea); renderFiles();
    typing(false);
    if (state.conversation && state.conversation.status === 'resolved' && !config.allow_messages_after_resolved) state.conversation = null;
    if (!root.classList.contains('has-thread')) render();
    renderThread();
    scrollToBottom();
    flush();
  }

  var flushing = false;
  function flush() {
    if (flushing) return;
    var item = outbox.find(function (i) { return i.status === 'sending' || i.status === 'waiting'; });
    if (!item) return;
    flushing = true;
    var body;
    if (item.files.length) {
      body = new FormData();
      body.append('message[content]', item.content);
      body.append('message[echo_id]', item.echo_id);
      body.append('message[referer_url]', document.referrer || '');
      item.files.forEach(function (f) { body.append('message[attachments][]', f, f.name); });
    } else {
      body = { message: { content: item.content, echo_id: item.echo_id, referer_url: document.referrer || '' } };
    }
    var hadConversation = !!state.conversation;
    api('POST', 'messages', body).then(function (message) {
      accepted(item, message);
      if (!hadConversation) {
        if (!state.contact) refreshContact();
        refreshConversation().then(function () { tell({ type: 'autonomia:started', conversation: state.conversation }); });
      }
    }).catch(function (error) {
      if (error.data && error.data.message && error.data.message.id) { // text kept, a file refused (413/415)
        accepted(item, error.data.message);
        flashError(error.message);
      } else if (!error.status || error.status >= 500 || error.status === 429) {
        item.status = 'waiting'; // offline or overloaded: retried on reconnect
        setTimeout(function () { if (item.status === 'waiting') flush(); }, 4000);
      } else {
        item.status = 'failed'; item.error = error.message;
      }
      renderThread();
    }).then(function () { flushing = false; if (outbox.some(function (i) { return i.status === 'sending'; })) flush(); });
  }

  function accepted(item, message) {
    outbox.splice(outbox.indexOf(item), 1);
    messages.set(message.id, message);
    renderThread();
    scrollToBottom();
  }

  function flashError(text) {
    var thread = document.getElementById('thread');
    if (thread) { thread.appendChild(h('div', { class: 'notice notice-error', role: 'alert', text: text })); scrollToBottom(); }
  }

  function newConversation() {
    state.conversation = null;
    messages.clear();
    render();
    var composer = document.getElementById('composer');
    if (composer) composer.focus();
  }

  function endConversation() {
    api('GET', 'conversations/toggle_status').then(function (data) {
      state.conversation = Object.assign(state.conversation || {}, data);
      render();
    }).catch(function (error) { flashError(error.message); });
  }

  function markSeen() {
    if (visible && state.conversation && !document.hidden) api('POST', 'conversations/update_last_seen').catch(function () {});
  }

  // ------------------------------------------------------------------ live
  function showTyping() {
    var box = document.getElementById('typing');
    if (!box) return;
    var stick = nearBottom();
    box.hidden = false;
    if (stick) scrollToBottom();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 30000);
  }
  function hideTyping() {
    var box = document.getElementById('typing');
    if (box) box.hidden = true;
    clearTimeout(typingTimer);
  }

  function connect() {
    if (!state.contact || !state.contact.pubsub_token || (socket && socket.readyState <= 1)) return;
    var url = location.origin.replace(/^http/, 'ws') + '/ws/widget/?website_token=' + encodeURIComponent(config.website_token);
    socket = new WebSocket(url);
    var current = socket;
    socket.onopen = function () {
      current.send(JSON.stringify({ action: 'auth', pubsub_token: state.contact.pubsub_token }));
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.event === 'welcome') { var wasRetry = retry > 0; retry = 0; document.getElementById('connection').hidden = true; if (wasRetry) resync(); flush(); return; }
      if (frame.event === 'message.created' || frame.event === 'message.updated') addMessage(frame.data);
      else if (frame.event === 'conversation.typing_on') showTyping();
      else if (frame.event === 'conversation.typing_off') hideTyping();
      else if (frame.event === 'conversation.status_changed') statusChanged(frame.data);
    };
    socket.onclose = function (event) {
      if (socket !== current) return;
      socket = null;
      if (event.code === 4401) return;
      var banner = document.getElementById('connection');
      if (banner) banner.hidden = false;
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, Math.min(1000 * Math.pow(2, retry - 1), 15000));
    };
  }

  function statusChanged(data) {
    if (!state.conversation || data.id !== state.conversation.id) { refreshConversation(); return; }
    var before = state.conversation.status;
    Object.assign(state.conversation, data);
    if (before !== data.status) render();
  }

  function resync() {
    // Whatever was missed while the socket was down: messages after the last one we have, and the status.
    var last = sorted().pop();
    if (!state.conversation) return;
    api('GET', 'messages' + (last ? '?after=' + last.id : '')).then(function (list) {
      list.forEach(function (m) { messages.set(m.id, m); });
      renderThread();
    }).catch(function () {});
    api('GET', 'conversations').then(function (data) { statusChanged(data); }).catch(function () {});
  }

  var opened = false;
  window.addEventListener('online', function () { flush(); if (!socket) connect(); });
  document.addEventListener('visibilitychange', markSeen);
  document.addEventListener('click', function () { root.querySelectorAll('.menu').forEach(function (m) { m.hidden = true; }); });
  document.addEventListener('keydown', function (event) { if (event.key === 'Escape' && reading && root.querySelector('.hc-article')) closeArticle(); });
  window.addEventListener('message', function (event) {
    if (event.source !== window.parent) return;
    var data = event.data || {};
    if (data.type === 'autonomia:visibility') {
      visible = !!data.open;
      // The thread opens at its latest message; the home screen (search, pre-chat form) at its top.
      if (visible) { markSeen(); var c = document.getElementById('composer'); if (c) c.focus(); if (root.classList.contains('has-thread')) scrollToBottom(); }
      if (visible && !opened) {  // once per page: the inbox's agent bot may greet (webwidget_triggered)
        opened = true;
        api('POST', 'events', { name: 'webwidget.triggered', event_info: {
          referer: document.referrer || '', initiated_at: { timestamp: new Date().toString() } } }).catch(function () {});
      }
    } else if (data.type === 'autonomia:refresh') {
      refreshContact();
    }
  });

  // ------------------------------------------------------------------ start
  (state.messages || []).forEach(function (m) { messages.set(m.id, m); });
  if (state.auth_token) tell({ type: 'autonomia:token', token: state.auth_token });
  render();
  connect();
  tell({ type: 'autonomia:ready' });
  window.AutonomiaWidget = { state: state, messages: messages, outbox: outbox, socket: function () { return socket; } };
})();
