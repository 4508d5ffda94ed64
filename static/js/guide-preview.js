// Live preview of a guide's body in the admin: the server renders and sanitises, this only fetches.
(function () {
  "use strict";
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function start() {
    var body = document.getElementById("id_body");
    var preview = document.getElementById("guide-preview");
    if (!body || !preview) return;
    var timer = null;
    var latest = 0;
    body.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var request = ++latest;
        fetch(preview.dataset.previewUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken() },
          body: new URLSearchParams({ body: body.value })
        }).then(function (response) {
          return response.ok ? response.text() : null;
        }).then(function (html) {
          // Answers can arrive out of order; only the newest one is shown.
          if (html !== null && request === latest) preview.innerHTML = html;
        }).catch(function () { /* keep the last good preview */ });
      }, 400);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
