// Keeps the form and its assets on the phone so it opens without a signal.
// Submissions are not handled here: the page queues them in IndexedDB and sends them itself.
"use strict";

const CACHE = "ecogrid-m-v5";
const TILES = "ecogrid-m-tiles-v1";
// The page holds its stylesheet and scripts (written in by the server): it and Leaflet are the shell.
// The server names Leaflet by its content's digest when it sends this file (leaflet.<digest>.js).
const SHELL = [
  "/m/",
  "/m/manifest.webmanifest",
  "/m/icon.svg",
  "/m/leaflet.js",
  "/m/leaflet.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== TILES).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: request.url.includes("/tasks?") });
    if (cached) return cached;
    throw error;
  }
}

// The shell itself: the copy on the phone at once (no round trip over a weak signal before the form
// is drawn), refreshed in the background for the next opening; the network only when nothing is kept.
async function keptThenRefreshed(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request, { ignoreSearch: true });
  const refresh = fetch(event.request).then((response) => {
    if (response.ok) return cache.put(event.request, response.clone()).then(() => response);
    return response;
  });
  if (!cached) return refresh;
  event.waitUntil(refresh.catch(() => null));
  return cached;
}

// Base map tiles (other hosts, only those the page's policy allows): kept once seen, served from the
// phone first, so a site's surroundings fetched on Wi-Fi show without a signal.
async function cacheFirst(request) {
  const cache = await caches.open(TILES);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok || response.type === "opaque") cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    if (request.destination === "image" || request.mode === "no-cors") event.respondWith(cacheFirst(request));
    return;
  }
  const path = url.pathname;
  // A versioned name (leaflet.<digest>.js) never changes meaning: the copy kept is the one served.
  if (/\.[0-9a-f]{16}\.(js|css)$/.test(path)) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request)).then((kept) => kept || fetch(request)));
    return;
  }
  if (SHELL.includes(path)) {
    event.respondWith(keptThenRefreshed(event));
    return;
  }
  // Other files: fresh when online (they are small), the cached copy otherwise.
  // Task lists, case pages, the base map choice and photos of earlier visits: the same, so a case
  // opened (or prepared) once can be worked on without a signal.
  if (path.startsWith("/m/")
      || path.startsWith("/api/v1/inspections/tasks") || path === "/api/v1/inspections/vocabulary"
      || path === "/api/v1/inspections/base-map" || path.startsWith("/api/v1/photos/")) {
    event.respondWith(networkFirst(request));
  }
});
