/* Ceph GAN Studio service worker: the studio works offline once loaded.
 * Generated into dist/sw.js by src/build/offline.ts, which prepends
 *   const VERSION = '<hash of every built file>';
 *   const PRECACHE = ['./', 'index.html', 'assets/…', …];   // every file of the build
 * Install: cache every file of this build. Activate: drop caches of older builds.
 * Fetch (same origin, GET only): page navigations go to the network first (so an update is seen)
 * and fall back to the cached index.html offline; everything else is served from the cache first.
 * Requests to other origins are not touched (the CSP forbids them anyway). */
/* global VERSION, PRECACHE */
const CACHE = `ceph-gan-studio-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(PRECACHE.map((path) => new Request(path, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('ceph-gan-studio-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

async function fromNetworkAndCache(request) {
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function navigation(request) {
  try {
    return await fromNetworkAndCache(request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    const cached =
      (await cache.match(request, { ignoreSearch: true })) ??
      (await cache.match('./', { ignoreSearch: true })) ??
      (await cache.match('index.html', { ignoreSearch: true }));
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  return cached ?? fromNetworkAndCache(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(request.mode === 'navigate' ? navigation(request) : cacheFirst(request));
});
