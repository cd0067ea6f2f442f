// Touchgate console: the only script, and an optional one (every page reads without it).
// It asks before a destructive or binding form is sent (`data-confirm` on its button): a
// DNC removal, an override. Without it those forms are sent at once.
"use strict";
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = button && button.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
