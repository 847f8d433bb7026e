// The field app's service worker: precaches the app at install (the list is written in at build
// time by vite.config.ts) and serves it from the cache, so the app opens with no network. API
// calls always go to the network: the offline outbox for field records lives in the page
// (IndexedDB) and is sent when the network returns.
/// <reference lib="webworker" />
export {};
declare const self: ServiceWorkerGlobalScope;

const PRECACHE: string[] = "__PRECACHE_URLS__" as unknown as string[];
const BUILD: string = "__BUILD_ID__";
const CACHE = `terrain-field-${BUILD}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('terrain-field-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate' && url.pathname.startsWith('/field')) {
    // The app shell: the cached page, whatever the fragment or query.
    event.respondWith(caches.match('/field/', { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
    return;
  }
  event.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
});
