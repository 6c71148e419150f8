// A running bulk operation's page follows its progress: every `data-refresh` milliseconds it
// reads the page again and puts the new progress and report in place, until the operation has
// no route left (the new page carries no `data-refresh`). Served as a file: the console's
// Content-Security-Policy allows no inline script.
"use strict";

function follow() {
  const shown = document.getElementById("operation");
  const every = shown ? Number(shown.dataset.refresh) : 0;
  if (!every) {
    return;
  }
  window.setTimeout(async () => {
    try {
      const answer = await fetch(window.location.href, { credentials: "same-origin" });
      if (!answer.ok) {
        return;
      }
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("operation");
      if (fresh) {
        shown.replaceWith(document.adoptNode(fresh));
      }
    } catch (error) {
      // The server out of reach for a moment: look again at the next turn.
    }
    follow();
  }, every);
}

document.addEventListener("DOMContentLoaded", follow);
