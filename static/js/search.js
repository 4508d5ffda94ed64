// Provider search: after results are replaced from a chip or page link, move keyboard and
// screen-reader focus to the new results instead of leaving it on an element that is gone.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!trigger || trigger.tagName !== "A") {
      return;
    }
    var heading = document.getElementById("results-title");
    if (heading) {
      heading.focus();
      heading.scrollIntoView({ block: "start" });
    }
  });
})();
