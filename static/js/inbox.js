/* The live agent inbox: list refresh on events, the open conversation (messages, typing, header), the reply
   box (modes, shortcuts, canned responses, @mentions, attachments), bulk selection, keyboard shortcuts and
   the mobile one-column layout. Relies on htmx 2 and window.Autonomia (app.js). No inline code (CSP). */
(function () {
  'use strict';

  const A = window.Autonomia;
  if (!A || !document.getElementById('inbox') || !window.htmx) return;
  // The element is replaced when htmx restores history, so always look it up.
  const inboxProxy = { get el() { return document.getElementById('inbox'); } };
  const live = A.live;
  const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  const BASE_TITLE = document.title;
  const csrf = (function () {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken']; } catch (e) { return ''; }
  })();

  const $ = function (selector, root) { return (root || document).querySelector(selector); };
  const $$ = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  function debounce(fn, wait) {
    let timer = null;
    const wrapped = function () { clearTimeout(timer); timer = setTimeout(fn, wait); };
    wrapped.cancel = function () { clearTimeout(timer); };
    return wrapped;
  }
  function post(url, data) {
    const body = new FormData();
    Object.keys(data || {}).forEach(function (key) { body.append(key, data[key]); });
    return fetch(url, { method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-CSRFToken': csrf, 'HX-Request': 'true' } });
  }
  function getHtml(url) {
    return fetch(url, { credentials: 'same-origin', headers: { 'HX-Request': 'true' } }).then(function (response) {
      if (!response.ok) throw response;
      return response.text();
    });
  }
  function parse(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    return template.content;
  }
  function conversation() { return document.getElementById('conversation'); }
  function openDisplayId() { const c = conversation(); return c ? c.dataset.displayId : null; }
  function thread() { return document.getElementById('thread'); }
  function nearBottom() { const el = thread(); return !el || el.scrollHeight - el.scrollTop - el.clientHeight < 160; }
  function scrollToBottom() { const el = thread(); if (el) el.scrollTop = el.scrollHeight; }
  function narrow() { return window.matchMedia('(max-width: 1180px)').matches; }

  // ------------------------------------------------------------------ the open conversation
  let lastOpened = null;
  function syncOpenConversation() {
    const conv = conversation();
    const displayId = conv ? conv.dataset.displayId : null;
    inboxProxy.el.classList.toggle('has-conversation', !!conv);
    $$('.conv-row.active').forEach(function (row) { if (row.dataset.displayId !== displayId) row.classList.remove('active'); });
    if (displayId) {
      const row = document.getElementById('conversation-' + displayId);
      if (row) row.classList.add('active');
    }
    if (String(live.watching || '') !== String(displayId || '')) live.watch(displayId ? parseInt(displayId, 10) : null);
    document.title = conv ? conv.dataset.title + ' · Autonomia' : BASE_TITLE;
    if (conv && lastOpened !== conv) {
      lastOpened = conv;
      if (localStorage.getItem('autonomia.contactPanel') === 'collapsed') conv.classList.add('panel-collapsed');
      scrollToBottom();
      requestAnimationFrame(scrollToBottom);
      setHint();
      hideTyping();
      typingIdle.cancel();
      sendTyping(false);
      restoreDraft();
    }
    if (!conv) lastOpened = null;
  }

  function setHint() {
    const hint = $('.reply-hint');
    if (hint && IS_MAC && hint.dataset.hintMac) hint.textContent = hint.dataset.hintMac;
  }

  function insertMessages(html, opts) {
    const box = document.getElementById('thread-messages');
    if (!box) return;
    const stick = nearBottom() || (opts && opts.forceScroll);
    const fragment = parse(html);
    $$('.msg[id]', fragment).forEach(function (message) {
      const existing = document.getElementById(message.id);
      if (existing) {
        existing.replaceWith(message);
      } else {
        const empty = $('.thread-empty', box);
        if (empty) empty.remove();
        if (!(opts && opts.quiet)) message.classList.add('is-new');
        box.appendChild(message);
      }
      htmx.process(message);
    });
    if (stick) scrollToBottom();
  }

  // Resync after a (re)connect: fetch the latest page and add or update what is missing; never drop typed text.
  function resyncThread() {
    const conv = conversation();
    if (!conv) return;
    getHtml(conv.dataset.messagesUrl).then(function (html) {
      if (conversation() === conv) insertMessages(html, { quiet: true });
    }).catch(handleLostConversation);
  }

  const refreshHeader = debounce(function () {
    const conv = conversation();
    const header = document.getElementById('conversation-header');
    if (!conv || !header) return;
    if (header.querySelector('details[open]') || header.contains(document.activeElement) && document.activeElement.tagName === 'SELECT') {
      refreshHeader();  // the agent is using a control: try again shortly
      return;
    }
    htmx.ajax('GET', conv.dataset.headerUrl, { target: '#conversation-header', swap: 'outerHTML' });
  }, 300);

  function handleLostConversation(response) {
    if (response && (response.status === 404 || response.status === 403)) showEmptyPane(true);
  }
  function showEmptyPane(denied) {
    if (!conversation()) return;
    htmx.ajax('GET', inboxProxy.el.dataset.inboxUrl, { target: '#conversation-pane', swap: 'innerHTML' }).then(function () {
      history.replaceState({ htmx: true }, '', inboxProxy.el.dataset.inboxUrl);
      if (denied) A.toast(A.t('no_access'), 'error');
    });
  }

  function openConversation(displayId) {
    const url = inboxProxy.el.dataset.inboxUrl + displayId + '/';
    const row = document.getElementById('conversation-' + displayId);
    if (row) {
      $$('.conv-row.active').forEach(function (r) { r.classList.remove('active'); });
      row.classList.add('active');
    }
    return htmx.ajax('GET', url, { target: '#conversation-pane', swap: 'innerHTML' }).then(function () {
      history.pushState({ htmx: true }, '', url);
    });
  }

  const markSeen = debounce(function () {
    const conv = conversation();
    if (conv && !document.hidden) post(conv.dataset.seenUrl);
  }, 1500);

  // ------------------------------------------------------------------ typing indicator (others)
  let typingTimer = null;
  function hideTyping() {
    const box = document.getElementById('typing');
    if (box) box.hidden = true;
    clearTimeout(typingTimer);
  }
  function showTyping(data) {
    const box = document.getElementById('typing');
    if (!box) return;
    $('.typing-text', box).textContent = A.t(data.is_private ? 'typing_note' : 'typing', { name: data.name });
    const stick = nearBottom();
    box.hidden = false;
    if (stick) scrollToBottom();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 8000);
  }

  // ------------------------------------------------------------------ the list
  let listRetry = 0;
  const refreshList = debounce(function () {
    const list = document.getElementById('conversation-list');
    if (!list) return;
    const busy = (list.contains(document.activeElement) && document.activeElement.tagName === 'SELECT') ||
      list.querySelector('details[open]');
    if (busy && listRetry < 8) { listRetry += 1; refreshList(); return; }
    listRetry = 0;
    const filters = document.getElementById('list-filters');
    const params = new URLSearchParams(filters ? new FormData(filters) : undefined);
    const search = document.getElementById('conv-search');
    if (search && search.value) params.set('q', search.value);
    const rows = $('.conv-rows', list);
    const scroll = rows ? rows.scrollTop : 0;
    htmx.ajax('GET', inboxProxy.el.dataset.listUrl + '?' + params.toString(), { target: '#conversation-list', swap: 'outerHTML' }).then(function () {
      const fresh = document.getElementById('conversation-list');
      if (!fresh) return;
      restoreSelection(fresh);
      const newRows = $('.conv-rows', fresh);
      if (newRows) newRows.scrollTop = scroll;
      updateBulkBar();
      syncOpenConversation();
    });
  }, 250);
  const refreshFolders = debounce(function () {
    const folders = document.getElementById('folders');
    if (folders && !inboxProxy.el.classList.contains('folders-open')) htmx.trigger(folders, 'refresh-folders');
  }, 1200);

  // Checked rows live here, not in the DOM: a live refresh may swap the list while the agent is ticking boxes.
  const selection = new Set();
  function restoreSelection(root) {
    $$('input[name="ids"]', root).forEach(function (box) { box.checked = selection.has(box.value); });
  }

  function updateBulkBar() {
    const list = document.getElementById('conversation-list');
    if (!list) return;
    const boxes = $$('input[name="ids"]', list);
    const checked = boxes.filter(function (box) { return box.checked; }).length;
    const bar = document.getElementById('bulk-bar');
    if (bar) bar.hidden = checked === 0;
    const count = document.getElementById('bulk-count');
    if (count) count.textContent = String(checked);
    const all = $('[data-action="select-all"]', list);
    if (all) { all.checked = checked > 0 && checked === boxes.length; all.indeterminate = checked > 0 && checked < boxes.length; }
    const rows = $('.conv-rows', list);
    if (rows) rows.classList.toggle('selecting', checked > 0);
  }

  // ------------------------------------------------------------------ socket events
  live.on('open', function () {
    refreshList();
    refreshFolders();
    if (conversation()) { resyncThread(); refreshHeader(); }
  });
  live.on('conversation.changed', function (data) {
    refreshList();
    refreshFolders();
    if (data.kind !== 'read' && String(data.display_id) === openDisplayId()) refreshHeader();
  });
  live.on('message.created', function (data) {
    if (String(data.display_id) !== openDisplayId()) return;
    insertMessages(data.html);
    if (/msg-in/.test(data.html)) { hideTyping(); markSeen(); }
  });
  live.on('message.updated', function (data) {
    if (String(data.display_id) === openDisplayId()) insertMessages(data.html, { quiet: true });
  });
  live.on('conversation.typing', function (data) {
    const conv = conversation();
    if (!conv || String(data.conversation_id) !== conv.dataset.conversationId) return;
    if (data.on) showTyping(data); else hideTyping();
  });
  live.on('access.changed', function () {
    refreshList();
    refreshFolders();
    const conv = conversation();
    if (conv) getHtml(conv.dataset.headerUrl).then(refreshHeader).catch(handleLostConversation);
  });
  live.on('watch.denied', function (data) {
    if (String(data.display_id) === openDisplayId()) showEmptyPane(true);
  });
  document.addEventListener('visibilitychange', function () { if (!document.hidden && conversation()) markSeen(); });

  // ------------------------------------------------------------------ reply box
  function replyForm() { return document.getElementById('reply-box'); }
  function replyText() { return document.getElementById('reply-content'); }
  let mentions = {};  // "Name" → user id, for @Name typed through the picker

  function setMode(mode) {
    const form = replyForm();
    if (!form) return;
    const note = mode === 'note';
    form.classList.toggle('is-note', note);
    form.elements.private.value = note ? '1' : '';
    $$('.reply-tab', form).forEach(function (tab) { tab.setAttribute('aria-selected', String(tab.dataset.mode === mode)); });
    const text = replyText();
    text.placeholder = note ? text.dataset.placeholderNote : text.dataset.placeholderReply;
    closeSuggestions();
    if (typingOn) sendTyping(false);
  }

  // Own typing: "on" once, then "off" after 4 s of quiet, when sent, or when another conversation opens.
  let typingOn = false;
  let typingUrl = null;
  const typingIdle = debounce(function () { sendTyping(false); }, 4000);
  function sendTyping(on) {
    const conv = conversation();
    const form = replyForm();
    if (typingOn === on) return;
    if (on && !conv) return;
    const url = on ? conv.dataset.typingUrl : typingUrl;
    typingOn = on;
    typingUrl = on ? url : null;
    if (url) post(url, { on: on ? '1' : '0', private: form && form.classList.contains('is-note') ? '1' : '' });
  }

  // Drafts survive switching conversations and reloads (per tab), and are dropped once sent.
  function draftKey() { const id = openDisplayId(); return id ? 'autonomia.draft.' + id : null; }
  function saveDraft(value) {
    const key = draftKey();
    if (!key) return;
    try { if (value.trim()) sessionStorage.setItem(key, value); else sessionStorage.removeItem(key); } catch (e) { /* private mode */ }
  }
  function restoreDraft() {
    const key = draftKey();
    const text = replyText();
    if (!key || !text || text.value) return;
    try { text.value = sessionStorage.getItem(key) || ''; } catch (e) { /* private mode */ }
    autosize(text);
  }

  function submitReply() {
    const form = replyForm();
    const text = replyText();
    const files = document.getElementById('reply-files');
    if (!form || (!text.value.trim() && !(files && files.files.length))) return;
    closeSuggestions();
    form.requestSubmit();
  }

  function resetReply(form) {
    const text = $('#reply-content', form);
    text.value = '';
    saveDraft('');
    autosize(text);
    const files = $('#reply-files', form);
    if (files) files.value = '';
    renderPreviews();
    mentions = {};
    const errors = document.getElementById('reply-errors');
    if (errors) errors.innerHTML = '';
    typingIdle.cancel();
    sendTyping(false);
    text.focus();
  }

  function autosize(text) {
    if (!text) return;
    text.style.height = 'auto';
    text.style.height = Math.min(text.scrollHeight, window.innerHeight * 0.4) + 'px';
  }

  // @Name → [@Name](mention://user/ID/Name) just before sending.
  function withMentions(content) {
    Object.keys(mentions).sort(function (a, b) { return b.length - a.length; }).forEach(function (name) {
      const link = '[@' + name.replace(/[\[\]]/g, '') + '](mention://user/' + mentions[name] + '/' + encodeURIComponent(name) + ')';
      content = content.split('@' + name).join(link);
    });
    return content;
  }

  document.addEventListener('htmx:configRequest', function (event) {
    const form = replyForm();
    if (!form || event.detail.elt !== form) return;
    const params = event.detail.parameters;
    const content = withMentions(replyText().value);
    if (typeof params.set === 'function') params.set('content', content); else params.content = content;
  });

  document.addEventListener('htmx:beforeSwap', function (event) {
    const elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    const form = replyForm();
    if (form && elt === form) {
      const status = event.detail.xhr.status;
      if (status === 422) {
        // Keep what was typed and attached: only show the errors.
        event.detail.shouldSwap = false;
        const fresh = parse(event.detail.serverResponse).getElementById('reply-errors');
        const errors = document.getElementById('reply-errors');
        if (errors) errors.innerHTML = fresh ? fresh.innerHTML : '';
      } else if (status === 200) {
        event.detail.shouldSwap = false;  // inserted by id, so the websocket echo cannot duplicate it
        insertMessages(event.detail.serverResponse, { forceScroll: true });
        resetReply(form);
      }
      return;
    }
    if (event.detail.target && event.detail.target.id === 'thread-older') {
      const el = thread();
      keepOffset = el ? el.scrollHeight - el.scrollTop : null;
    }
    // Label pickers stay open while several labels are ticked.
    keepOpen = $$('details[data-keep][open]').map(function (d) { return d.dataset.keep; });
  });
  let keepOffset = null;
  let keepOpen = [];
  document.addEventListener('htmx:afterSettle', function () {
    if (keepOffset !== null) {
      const el = thread();
      if (el) el.scrollTop = el.scrollHeight - keepOffset;
      keepOffset = null;
    }
    keepOpen.forEach(function (key) {
      const menu = $('details[data-keep="' + key + '"]');
      if (menu) menu.open = true;
    });
    keepOpen = [];
  });

  // --- attachments: picker, paste, drag and drop
  function fileInput() { return document.getElementById('reply-files'); }
  function addFiles(list) {
    const input = fileInput();
    const form = replyForm();
    if (!input || !list || !list.length) return;
    const max = parseInt(form.dataset.maxBytes || '0', 10);
    const transfer = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (file) { transfer.items.add(file); });
    Array.prototype.forEach.call(list, function (file) {
      if (max && file.size > max) { A.toast(A.t('too_big', { name: file.name }), 'error'); return; }
      transfer.items.add(file);
    });
    input.files = transfer.files;
    renderPreviews();
  }
  function removeFile(index) {
    const input = fileInput();
    const transfer = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (file, i) { if (i !== index) transfer.items.add(file); });
    input.files = transfer.files;
    renderPreviews();
  }
  function renderPreviews() {
    const box = document.getElementById('attachment-previews');
    const input = fileInput();
    if (!box || !input) return;
    box.innerHTML = '';
    Array.prototype.forEach.call(input.files, function (file, index) {
      const item = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = file.name + ' (' + Math.max(1, Math.round(file.size / 1024)) + ' KB)';
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'btn-icon';
      remove.dataset.removeFile = String(index);
      remove.setAttribute('aria-label', A.t('remove_file', { name: file.name }));
      remove.textContent = '×';
      item.append(name, remove);
      box.appendChild(item);
    });
  }
  document.addEventListener('change', function (event) {
    if (event.target.id === 'reply-files') renderPreviews();
    if (event.target.name === 'ids' || event.target.dataset.action === 'select-all') {
      const boxes = event.target.dataset.action === 'select-all' ? $$('#conversation-list input[name="ids"]') : [event.target];
      boxes.forEach(function (box) {
        box.checked = event.target.checked;
        if (box.checked) selection.add(box.value); else selection.delete(box.value);
      });
      updateBulkBar();
    }
  });
  document.addEventListener('paste', function (event) {
    if (event.target.id !== 'reply-content' || !event.clipboardData || !event.clipboardData.files.length) return;
    event.preventDefault();
    addFiles(event.clipboardData.files);
  });
  let dragDepth = 0;
  document.addEventListener('dragenter', function (event) {
    const form = replyForm();
    if (!form || !event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') < 0) return;
    if (!event.target.closest || !event.target.closest('.conv-main')) return;
    dragDepth += 1;
    form.classList.add('is-dragging');
  });
  document.addEventListener('dragleave', function (event) {
    const form = replyForm();
    if (!form || !event.target.closest || !event.target.closest('.conv-main')) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) form.classList.remove('is-dragging');
  });
  document.addEventListener('dragover', function (event) {
    if (replyForm() && event.target.closest && event.target.closest('.conv-main')) event.preventDefault();
  });
  document.addEventListener('drop', function (event) {
    const form = replyForm();
    if (!form || !event.target.closest || !event.target.closest('.conv-main')) return;
    event.preventDefault();
    dragDepth = 0;
    form.classList.remove('is-dragging');
    addFiles(event.dataTransfer.files);
  });

  // --- suggestions: "/" canned responses, "@" agents (private notes)
  let suggestion = null;  // {kind, start, end}
  let suggestRequest = 0;
  function suggestionBox() { return document.getElementById('reply-suggestions'); }
  function closeSuggestions() {
    const box = suggestionBox();
    if (box) { box.hidden = true; box.innerHTML = ''; }
    suggestion = null;
  }
  function suggestionsOpen() { const box = suggestionBox(); return !!box && !box.hidden; }
  const lookup = debounce(function () {
    const text = replyText();
    const conv = conversation();
    if (!text || !conv) return;
    const before = text.value.slice(0, text.selectionStart);
    const note = replyForm().classList.contains('is-note');
    let match = before.match(/(?:^|\s)\/([\w-]{0,40})$/);
    let kind = 'canned';
    if (!match && note) { match = before.match(/(?:^|\s)@([^\s@]{0,40})$/); kind = 'mention'; }
    if (!match) { closeSuggestions(); return; }
    const query = match[1];
    const start = text.selectionStart - query.length - 1;
    const url = (kind === 'canned' ? inboxProxy.el.dataset.cannedUrl : inboxProxy.el.dataset.mentionUrl) +
      '?q=' + encodeURIComponent(query) + '&conversation=' + encodeURIComponent(conv.dataset.displayId);
    const ticket = ++suggestRequest;
    getHtml(url).then(function (html) {
      if (ticket !== suggestRequest) return;
      const box = suggestionBox();
      box.innerHTML = html;
      box.hidden = false;
      suggestion = { kind: kind, start: start, end: text.selectionStart };
      const first = $('.suggestion', box);
      if (first) first.classList.add('is-active');
    }).catch(closeSuggestions);
  }, 120);

  function moveSuggestion(step) {
    const items = $$('.suggestion', suggestionBox());
    if (!items.length) return;
    let index = items.findIndex(function (item) { return item.classList.contains('is-active'); });
    items.forEach(function (item) { item.classList.remove('is-active'); });
    index = (index + step + items.length) % items.length;
    items[index].classList.add('is-active');
    items[index].scrollIntoView({ block: 'nearest' });
  }
  function pickSuggestion(item) {
    const text = replyText();
    if (!item || !suggestion || !text) return;
    let insert;
    if (item.dataset.mentionId) {
      insert = '@' + item.dataset.mentionName + ' ';
      mentions[item.dataset.mentionName] = item.dataset.mentionId;
    } else {
      insert = item.dataset.insert || '';
    }
    const value = text.value;
    text.value = value.slice(0, suggestion.start) + insert + value.slice(text.selectionStart);
    const caret = suggestion.start + insert.length;
    text.setSelectionRange(caret, caret);
    closeSuggestions();
    autosize(text);
    saveDraft(text.value);
    text.focus();
  }
  document.addEventListener('mousedown', function (event) {
    const item = event.target.closest && event.target.closest('#reply-suggestions .suggestion');
    if (item) { event.preventDefault(); pickSuggestion(item); }
  });

  document.addEventListener('input', function (event) {
    if (event.target.id !== 'reply-content') return;
    autosize(event.target);
    saveDraft(event.target.value);
    const errors = document.getElementById('reply-errors');
    if (errors && errors.innerHTML) errors.innerHTML = '';
    if (event.target.value.trim()) { sendTyping(true); typingIdle(); } else { typingIdle.cancel(); sendTyping(false); }
    lookup();
  });
  document.addEventListener('focusout', function (event) {
    if (event.target.id === 'reply-content') setTimeout(function () {
      if (document.activeElement !== replyText()) closeSuggestions();
    }, 150);
  });

  // ------------------------------------------------------------------ clicks
  document.addEventListener('click', function (event) {
    const open = event.target.closest('a[data-open-conversation]');
    if (open && document.getElementById('conversation-pane') && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      A.closeMenus();
      openConversation(open.dataset.openConversation);
      return;
    }
    const remove = event.target.closest('[data-remove-file]');
    if (remove) { removeFile(parseInt(remove.dataset.removeFile, 10)); return; }
    const tab = event.target.closest('.reply-tab');
    if (tab) { setMode(tab.dataset.mode); replyText().focus(); return; }
    const folder = event.target.closest('[data-folder]');
    if (folder) {
      $$('.folder.active').forEach(function (f) { f.classList.remove('active'); });
      folder.classList.add('active');
      inboxProxy.el.classList.remove('folders-open');
      const search = document.getElementById('conv-search');
      if (search) search.value = '';
      return;
    }
    const row = event.target.closest('.row-link');
    if (row) {
      $$('.conv-row.active').forEach(function (r) { r.classList.remove('active'); });
      row.closest('.conv-row').classList.add('active');
      return;
    }
    const action = event.target.closest('[data-action]');
    if (!action) return;
    switch (action.dataset.action) {
      case 'toggle-contact-panel': {
        const conv = conversation();
        if (!conv) break;
        if (narrow()) {
          conv.classList.toggle('panel-open');
        } else {
          const collapsed = conv.classList.toggle('panel-collapsed');
          localStorage.setItem('autonomia.contactPanel', collapsed ? 'collapsed' : 'open');
        }
        break;
      }
      case 'toggle-folders': inboxProxy.el.classList.toggle('folders-open'); break;
      case 'clear-selection':
        selection.clear();
        restoreSelection(document.getElementById('conversation-list'));
        updateBulkBar();
        break;
      default: break;
    }
  });

  // ------------------------------------------------------------------ keyboard
  function moveInList(step) {
    const rows = $$('#conversation-rows .conv-row');
    if (!rows.length) return;
    let index = rows.findIndex(function (row) { return row.classList.contains('active'); });
    index = index < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, index + step));
    const link = $('.row-link', rows[index]);
    rows[index].scrollIntoView({ block: 'nearest' });
    if (rows[index].classList.contains('active')) return;
    link.click();
  }
  function clickAction(name) {
    const button = $('#conversation-header [data-action="' + name + '"]');
    if (button) { button.click(); return true; }
    return false;
  }
  function focusReply(mode) {
    if (!replyForm()) return;
    setMode(mode);
    const text = replyText();
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  document.addEventListener('keydown', function (event) {
    const target = event.target;
    const inReply = target && target.id === 'reply-content';

    if (inReply && suggestionsOpen()) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') { event.preventDefault(); moveSuggestion(event.key === 'ArrowDown' ? 1 : -1); return; }
      if ((event.key === 'Enter' && !event.ctrlKey && !event.metaKey) || event.key === 'Tab') {
        const active = $('.suggestion.is-active', suggestionBox());
        if (active) { event.preventDefault(); pickSuggestion(active); return; }
      }
      if (event.key === 'Escape') { event.preventDefault(); closeSuggestions(); return; }
    }
    if (inReply && event.key === 'Enter' && !event.isComposing) {
      const sendOnEnter = replyForm().dataset.sendOnEnter === '1';
      if (event.ctrlKey || event.metaKey || (sendOnEnter && !event.shiftKey && !event.altKey)) {
        event.preventDefault();
        submitReply();
        return;
      }
    }

    const code = event.code;
    // Ctrl / Alt shortcuts work while typing too.
    if ((event.altKey && !event.ctrlKey && !event.metaKey && code === 'KeyD') ||
        ((event.ctrlKey || event.metaKey) && event.shiftKey && code === 'KeyR')) {
      if (clickAction('resolve')) event.preventDefault();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.shiftKey && code === 'KeyO') {
      if (clickAction('open')) event.preventDefault();
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey && code === 'KeyA') {
      const select = document.getElementById('assignee-select');
      if (select) { event.preventDefault(); select.focus(); try { select.showPicker(); } catch (e) { /* not supported */ } }
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey && code === 'KeyP') {
      if (replyForm()) { event.preventDefault(); focusReply('note'); }
      return;
    }
    if (event.key === 'Escape' && !event.defaultPrevented) {
      if (inboxProxy.el.classList.contains('folders-open')) { inboxProxy.el.classList.remove('folders-open'); return; }
      const conv = conversation();
      if (conv && conv.classList.contains('panel-open')) { conv.classList.remove('panel-open'); return; }
      if (inReply) target.blur();
      return;
    }

    if (A.isTyping(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest('dialog[open]')) return;
    if (event.key === 'j' || event.key === 'J') { event.preventDefault(); moveInList(1); }
    else if (event.key === 'k' || event.key === 'K') { event.preventDefault(); moveInList(-1); }
    else if (event.key === 'r' || event.key === 'R') { if (replyForm()) { event.preventDefault(); focusReply('reply'); } }
  });

  // ------------------------------------------------------------------ swaps & history
  document.addEventListener('htmx:load', function (event) {
    const el = event.target;
    if (el.id === 'conversation' || el.id === 'conversation-pane' || el.closest && el.closest('#conversation-pane')) syncOpenConversation();
    if (el.id === 'conversation-list' || el.closest && el.closest('#conversation-list')) {
      restoreSelection(el);
      updateBulkBar();
      syncOpenConversation();
    }
  });
  // A bulk action that went through empties the selection; one with errors keeps it for another try.
  document.addEventListener('htmx:beforeSwap', function (event) {
    const config = event.detail.requestConfig;
    if (config && /\/bulk\/$/.test(config.path) && event.detail.xhr.status < 300) selection.clear();
  });
  document.addEventListener('htmx:afterSettle', function (event) {
    if (event.detail.target && event.detail.target.id === 'conversation-pane') syncOpenConversation();
  });
  document.addEventListener('htmx:historyRestore', function () {
    lastOpened = null;
    syncOpenConversation();
    refreshList();
  });

  syncOpenConversation();
  updateBulkBar();
})();
