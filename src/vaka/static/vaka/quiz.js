// Taking a quiz over a thin or broken connection. On the quiz page: fill the start form's
// device token (a random token this browser keeps in localStorage). On an attempt page:
// keep the answers in localStorage as they are given, cache the page and what it loads
// for the service worker (served at data-worker) to show offline, and submit now or, when
// offline, as soon as the browser is back online (the "online" event, or the next time
// the page opens). Vaka decides: it checks the deadline and that the answers come from
// the device that started the attempt, and the page says plainly what it answered.
// No inline script: the CSP forbids it.
"use strict";

(() => {
  const DEVICE = "vaka-device";
  const CACHE = "vaka-quiz";

  function deviceToken() {
    let token = localStorage.getItem(DEVICE);
    if (!token) {
      const bytes = crypto.getRandomValues(new Uint8Array(24));
      token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem(DEVICE, token);
    }
    return token;
  }

  function attempt(form) {
    const key = `vaka-attempt-${form.dataset.attempt}`;
    const status = document.getElementById("quiz-status");
    const load = () => JSON.parse(localStorage.getItem(key) || "{}");
    const store = (state) => localStorage.setItem(key, JSON.stringify(state));
    const say = (text, kind) => {
      status.className = `alert alert-${kind}`;
      status.textContent = text;
    };
    const answers = () => {
      const given = {};
      for (const [name, value] of new FormData(form)) {
        if (name.startsWith("answer-")) (given[name] = given[name] || []).push(value);
      }
      return given;
    };
    const forget = () => {
      localStorage.removeItem(key);
      if (window.caches) caches.open(CACHE).then((cache) => cache.delete(window.location.href));
    };

    // What was answered on this device comes back, and every change is kept.
    const saved = load().answers || {};
    for (const field of form.querySelectorAll("[name^='answer-']")) {
      const given = saved[field.name] || [];
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = given.includes(field.value);
      } else {
        field.value = given[0] || "";
      }
    }
    const keep = () => store({ ...load(), answers: answers() });
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);

    async function send() {
      if (!load().pending) return;
      say(form.dataset.sending, "info");
      let response;
      try {
        response = await fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
      } catch {
        say(form.dataset.offline, "warning");
        return;
      }
      const answer = await response.json().catch(() => null);
      if (answer && answer.status === "submitted") {
        forget();
        say(`${form.dataset.submitted} ${answer.message}`, "success");
        window.location.assign(answer.result);
      } else if (answer && answer.status === "refused") {
        if (answer.code === "malformed") store({ ...load(), pending: false });
        else forget();
        say(`${form.dataset.refused} ${answer.reason}`, "danger");
      } else {
        say(form.dataset.failed, "warning");
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      store({ answers: answers(), pending: true });
      send();
    });
    window.addEventListener("online", send);
    send();

    const deadline = Date.parse(form.dataset.deadline || "");
    const timer = document.getElementById("quiz-timer");
    if (timer && !Number.isNaN(deadline)) {
      const tick = () => {
        const left = Math.round((deadline - Date.now()) / 1000);
        const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
        timer.textContent = left > 0 ? `${form.dataset.timeLeft} ${clock}` : form.dataset.timeUp;
        timer.hidden = false;
      };
      tick();
      setInterval(tick, 1000);
    }

    // The page and what it loads, cached for the service worker to show offline. A
    // browser without service workers still keeps the answers.
    if ("serviceWorker" in navigator && window.caches) {
      navigator.serviceWorker.register(form.dataset.worker).then(async () => {
        const assets = Array.from(
          document.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]"),
          (element) => element.href || element.src);
        const cache = await caches.open(CACHE);
        await cache.addAll([window.location.href, ...assets]);
        form.dataset.cached = "yes";
      }).catch(() => { form.dataset.cached = "no"; });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const input of document.querySelectorAll("input[data-device]")) {
      input.value = deviceToken();
    }
    const form = document.getElementById("quiz-attempt");
    if (form) attempt(form);
  });
})();
