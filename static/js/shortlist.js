/* The shortlist, kept in this browser only (localStorage) and in the shortlist page's address. Without this script
   each "Save to shortlist" link opens the shortlist with that provider, and the page works on its address alone.
   Nothing here talks to the server: what a person types for their messages never leaves the page. */
(function () {
  "use strict";
  var KEY = "shortlist";
  var MAX = 10;

  function read() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(saved) ? saved.filter(function (s) { return typeof s === "string"; }).slice(0, MAX) : [];
    } catch (error) {
      return [];
    }
  }

  function write(slugs) {
    try { window.localStorage.setItem(KEY, JSON.stringify(slugs.slice(0, MAX))); } catch (error) { /* private mode */ }
  }

  function address(slugs) {
    return "/shortlist/" + (slugs.length ? "?" + slugs.map(function (s) { return "p=" + encodeURIComponent(s); }).join("&") : "");
  }

  function showCount(slugs) {
    document.querySelectorAll('.site-nav a[href^="/shortlist/"]').forEach(function (link) {
      link.href = address(slugs);
      link.textContent = slugs.length ? "Shortlist (" + slugs.length + ")" : "Shortlist";
    });
  }

  function label(button, saved) {
    var name = button.getAttribute("data-name");
    button.setAttribute("aria-pressed", saved ? "true" : "false");
    button.textContent = saved ? "Saved to shortlist" : "Save to shortlist";
    button.setAttribute("aria-label", button.textContent + ": " + name);
  }

  // Each save link becomes a toggle button (after an htmx swap too).
  function enhance(root) {
    var slugs = read();
    root.querySelectorAll("a[data-save]").forEach(function (link) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "save-button secondary";
      button.setAttribute("data-save", link.getAttribute("data-save"));
      button.setAttribute("data-name", link.getAttribute("data-name"));
      label(button, slugs.indexOf(link.getAttribute("data-save")) !== -1);
      link.replaceWith(button);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-save]");
    if (!button) return;
    var slug = button.getAttribute("data-save");
    var slugs = read();
    var at = slugs.indexOf(slug);
    if (at === -1 && slugs.length >= MAX) {
      button.textContent = "Your shortlist is full (" + MAX + "): remove someone first";
      button.setAttribute("aria-label", button.textContent);
      return;
    }
    if (at === -1) slugs.push(slug); else slugs.splice(at, 1);
    write(slugs);
    label(button, at === -1);
    showCount(slugs);
  });

  // The shortlist page: its address is the list. Opening the page without one brings back the saved list.
  function shortlistPage() {
    var page = document.querySelector("[data-shortlist-page]");
    if (!page) return;
    var listed = (page.getAttribute("data-listed") || "").split(" ").filter(Boolean);
    var params = new URLSearchParams(window.location.search);
    if (!params.has("p") && !params.has("find") && read().length) {
      window.location.replace(address(read()));
      return;
    }
    if (params.has("p") || listed.length) write(listed);
    showCount(listed);

    var words = page.querySelector("[data-your-words]");
    if (words) {
      words.hidden = false;
      words.addEventListener("submit", function (event) { event.preventDefault(); });
      words.addEventListener("input", fill);
    }
    page.querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var article = button.closest(".outreach");
        var status = article.querySelector("[data-copied]");
        navigator.clipboard.writeText(article.querySelector('[data-message="email"]').textContent).then(
          function () { status.textContent = "Copied."; },
          function () { status.textContent = "Could not copy: select the text and copy it instead."; }
        );
      });
    });
    var print = page.querySelector("[data-print]");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
  }

  // The person's words go into every blank of every message, and into the mail links.
  function fill() {
    var page = document.querySelector("[data-shortlist-page]");
    var values = {};
    page.querySelectorAll("[data-fills]").forEach(function (input) {
      values[input.getAttribute("data-fills")] = input.value.trim();
    });
    page.querySelectorAll("[data-blank]").forEach(function (blank) {
      var key = blank.getAttribute("data-blank");
      if (!blank.hasAttribute("data-empty")) blank.setAttribute("data-empty", blank.textContent);
      blank.textContent = values[key] || blank.getAttribute("data-empty");
      blank.classList.toggle("filled", Boolean(values[key]));
    });
    page.querySelectorAll(".outreach").forEach(function (article) {
      var link = article.querySelector("[data-mailto]");
      if (!link) return;
      var body = article.querySelector('[data-message="email"]').textContent;
      link.href = "mailto:" + encodeURIComponent(link.getAttribute("data-address")).replace("%40", "@") +
        "?subject=" + encodeURIComponent(link.getAttribute("data-subject")) + "&body=" + encodeURIComponent(body);
    });
  }

  function start() {
    enhance(document);
    showCount(read());
    shortlistPage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
})();
