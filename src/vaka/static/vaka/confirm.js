// Ask before a destructive action. Put data-confirm="<translated question>" on a <form>,
// or on one of its submit buttons: submitting shows the question, and "Cancel" stops the
// submission (htmx requests included). No inline script: the CSP forbids it.
"use strict";

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
