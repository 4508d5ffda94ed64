// The crisis bar stays at the top of the screen. Scrolls to a link's target or to a focused element are
// padded by its height (site.css: scroll-padding-top), so the bar never covers them; this keeps that
// height exact as the bar wraps or the text grows. Without it, site.css's estimates apply.
(function () {
  "use strict";
  var bar = document.getElementById("crisis-banner");
  if (!bar) return;
  var root = document.documentElement;
  function measure() {
    root.style.setProperty("--crisis-bar-height", bar.getBoundingClientRect().height + "px");
  }
  measure();
  if ("ResizeObserver" in window) {
    new ResizeObserver(measure).observe(bar);
  } else {
    window.addEventListener("resize", measure);
  }
})();
