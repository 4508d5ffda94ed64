// The fit finder, one step at a time. Without this script every step shows and one button sends them
// all; with it the same form shows one step with Back, Skip and Next, and the last step's button sends
// the whole form (htmx then swaps in the results and puts the answers in the address).
(function () {
  "use strict";

  function stepsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll("[data-step]"));
  }

  function part(form, name) {
    return form.querySelector("[data-step-" + name + "]");
  }

  function currentIndex(form) {
    return Number(form.getAttribute("data-current") || 0);
  }

  function show(form, index, moveFocus) {
    var steps = stepsOf(form);
    var last = steps.length - 1;
    index = Math.max(0, Math.min(index, last));
    form.setAttribute("data-current", String(index));
    steps.forEach(function (step, i) {
      step.hidden = i !== index;
    });
    var progress = form.querySelector("[data-step-progress] progress");
    progress.value = index + 1;
    progress.setAttribute("aria-valuetext", "Step " + (index + 1) + " of " + steps.length);
    part(form, "back").hidden = index === 0;
    part(form, "skip").hidden = index === last;
    part(form, "next").hidden = index === last;
    part(form, "submit").hidden = index !== last;
    part(form, "restart").hidden = index !== last;
    if (moveFocus) {
      var top = form.querySelector("[data-step-progress]");
      if (top.getBoundingClientRect().top < 0 || top.getBoundingClientRect().top > window.innerHeight / 2) {
        top.scrollIntoView({ block: "start" });
      }
      steps[index].querySelector(".step-title").focus({ preventScroll: true });
    }
  }

  function clear(step) {
    Array.prototype.forEach.call(step.querySelectorAll("input, select"), function (control) {
      if (control.type === "checkbox") {
        control.checked = false;
      } else if (control.type === "radio") {
        // A radio group's first choice is its "no preference" (the fit finder's mode: Either).
        var first = step.querySelector('input[type="radio"][name="' + control.name + '"]');
        control.checked = control === first;
      } else if (control.tagName === "SELECT") {
        control.selectedIndex = 0;
      } else {
        control.value = "";
      }
    });
  }

  function start(form) {
    if (form.hasAttribute("data-stepped")) return;
    form.setAttribute("data-stepped", "");
    form.querySelector("[data-step-progress]").hidden = false;
    var steps = stepsOf(form);
    // Errors stay in sight: open on the first step that has one.
    var first = 0;
    for (var i = 0; i < steps.length; i++) {
      if (steps[i].querySelector(".errorlist")) {
        first = i;
        break;
      }
    }
    show(form, first, false);
  }

  function startAll() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-steps]"), start);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step-back], [data-step-skip], [data-step-next]");
    var form = button && button.closest("form[data-stepped]");
    if (!form) return;
    var index = currentIndex(form);
    if (button.hasAttribute("data-step-back")) {
      show(form, index - 1, true);
    } else {
      if (button.hasAttribute("data-step-skip")) clear(stepsOf(form)[index]);
      show(form, index + 1, true);
    }
  });

  // Enter in a field moves on to the next step rather than sending half the answers; on the last step it sends.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    var field = event.target;
    var form = field.closest && field.closest("form[data-stepped]");
    if (!form || field.tagName !== "INPUT" || field.type === "submit" || field.type === "button") return;
    var index = currentIndex(form);
    event.preventDefault();
    if (index < stepsOf(form).length - 1) {
      show(form, index + 1, true);
    } else {
      form.requestSubmit(part(form, "submit"));
    }
  });

  // Results swapped in: fold the questions away again, ready to start from the first step, and take the
  // keyboard to the results (the button that had focus is now folded away).
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "match-results") return;
    var details = document.getElementById("match-questions");
    var form = details && details.querySelector("form[data-stepped]");
    if (!form) return;
    details.open = false;
    details.querySelector("summary").textContent = "Change your answers";
    show(form, 0, false);
    var heading = event.detail.target.querySelector("h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  });

  // The browser's Back button: htmx puts the earlier page back without running this file again.
  document.addEventListener("htmx:historyRestore", startAll);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
