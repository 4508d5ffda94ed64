// Live preview of a guide's body and editor's notes in the admin: the server renders and sanitises, this only fetches.
(function () {
  "use strict";
  var NOTE_FIELD = /^notes-(TOTAL_FORMS|\d+-(claim|note|DELETE))$/;
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function formData(body) {
    var data = new URLSearchParams({ body: body.value });
    if (!body.form) return data;
    Array.prototype.forEach.call(body.form.elements, function (field) {
      if (!NOTE_FIELD.test(field.name)) return;
      if (field.type === "checkbox" && !field.checked) return;
      data.append(field.name, field.value);
    });
    return data;
  }
  function start() {
    var body = document.getElementById("id_body");
    var preview = document.getElementById("guide-preview");
    if (!body || !preview) return;
    var timer = null;
    var latest = 0;
    function refresh(event) {
      if (event.target !== body && !NOTE_FIELD.test(event.target.name || "")) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var request = ++latest;
        fetch(preview.dataset.previewUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken() },
          body: formData(body)
        }).then(function (response) {
          return response.ok ? response.text() : null;
        }).then(function (html) {
          // Answers can arrive out of order; only the newest one is shown.
          if (html !== null && request === latest) preview.innerHTML = html;
        }).catch(function () { /* keep the last good preview */ });
      }, 400);
    }
    var form = body.form || document;
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
