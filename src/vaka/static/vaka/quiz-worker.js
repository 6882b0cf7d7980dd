// The offline quiz's service worker. Vaka serves it at /training/attempts/worker.js, so it
// controls the attempt pages. quiz.js caches an attempt page and what it loads when the
// attempt starts; this worker asks the network first and, when the network fails, answers
// from that cache. It caches nothing itself, and never a POST: answers go to Vaka only.
"use strict";

const CACHE = "vaka-quiz";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  event.respondWith(fetch(event.request).catch(async () => {
    const cached = await caches.match(event.request, { cacheName: CACHE, ignoreVary: true });
    return cached || Response.error();
  }));
});
