/* Help center authoring: drag-and-drop ordering of table rows ([data-sortable] tbody posts the new id order),
   and image uploads in the article editor (file picker, paste, drop) inserting the returned Markdown. */
(function () {
  'use strict';

  function csrf() {
    var input = document.querySelector('input[name=csrfmiddlewaretoken]');
    return input ? input.value : '';
  }

  // ------------------------------------------------------------------ drag and drop
  var dragged = null;
  document.addEventListener('dragstart', function (event) {
    var row = event.target.closest && event.target.closest('tbody[data-sortable] > tr');
    if (!row) return;
    dragged = row;
    row.classList.add('is-dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', row.dataset.id);
  });
  document.addEventListener('dragover', function (event) {
    var row = dragged && event.target.closest && event.target.closest('tbody[data-sortable] > tr');
    if (!row || row.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    if (row === dragged) return;
    var rect = row.getBoundingClientRect();
    var after = event.clientY > rect.top + rect.height / 2;
    row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
  });
  document.addEventListener('dragend', function () {
    if (!dragged) return;
    var body = dragged.parentNode;
    dragged.classList.remove('is-dragging');
    dragged = null;
    var data = new FormData();
    Array.prototype.forEach.call(body.querySelectorAll('tr[data-id]'), function (row) { data.append('ids', row.dataset.id); });
    fetch(body.dataset.sortable, { method: 'POST', body: data, headers: { 'X-CSRFToken': csrf() }, credentials: 'same-origin' });
  });

  // ------------------------------------------------------------------ image uploads
  function content() { return document.querySelector('.hc-content'); }
  function uploadUrl() { var input = document.querySelector('[data-image-upload]'); return input && input.dataset.imageUpload; }

  function insertAtCaret(text) {
    var area = content();
    var start = area.selectionStart, end = area.selectionEnd;
    var value = area.value;
    var block = (start > 0 && value[start - 1] !== '\n' ? '\n' : '') + text + '\n';
    area.value = value.slice(0, start) + block + value.slice(end);
    area.selectionStart = area.selectionEnd = start + block.length;
    area.dispatchEvent(new Event('input', { bubbles: true }));
    area.focus();
  }

  function upload(file) {
    var url = uploadUrl();
    if (!url || !file) return;
    var data = new FormData();
    data.append('file', file);
    fetch(url, { method: 'POST', body: data, headers: { 'X-CSRFToken': csrf() }, credentials: 'same-origin' })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.markdown) insertAtCaret(body.markdown);
        else window.alert(body.error || 'Upload failed');
      });
  }

  document.addEventListener('change', function (event) {
    if (!event.target.matches('[data-image-upload]')) return;
    Array.prototype.forEach.call(event.target.files, upload);
    event.target.value = '';
  });
  document.addEventListener('paste', function (event) {
    if (!event.target.classList || !event.target.classList.contains('hc-content')) return;
    var files = Array.prototype.filter.call(event.clipboardData.files || [], function (f) { return f.type.indexOf('image/') === 0; });
    if (!files.length) return;
    event.preventDefault();
    files.forEach(upload);
  });
  document.addEventListener('drop', function (event) {
    if (!event.target.classList || !event.target.classList.contains('hc-content')) return;
    var files = Array.prototype.filter.call(event.dataTransfer.files || [], function (f) { return f.type.indexOf('image/') === 0; });
    if (!files.length) return;
    event.preventDefault();
    files.forEach(upload);
  });
})();
