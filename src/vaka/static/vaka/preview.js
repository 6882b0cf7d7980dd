// A Markdown preview the server refuses (400: too long; 429: too many) shows why in its
// pane, instead of leaving the last preview as if it were current: htmx swaps only 2xx
// answers by itself. No inline script: the CSP forbids it.
"use strict";

// The event goes to the request's target: the preview pane, marked data-markdown-preview.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ((status === 400 || status === 429)
      && event.detail.target.hasAttribute("data-markdown-preview")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
