// A guide's table of contents is folded in the page (so that on a phone the guide starts on its first screen);
// where the screen is wide enough for it to be a column beside the text, it opens, and follows the width after.
(function () {
  "use strict";
  var fold = document.querySelector("[data-toc-fold]");
  if (!fold || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 64rem)");
  function follow() { fold.open = wide.matches; }
  follow();
  wide.addEventListener("change", follow);
})();
