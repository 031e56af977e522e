// Keeps the chat page usable offline: same-origin GETs go to the network first and fall
// back to the copy cached on the last successful visit (Hub model files are cached by
// webmlx itself in Cache Storage 'webmlx-hub').
const CACHE = 'webmlx-chat-shell';
const SHELL = ['./', './main.js', './worker.js', './model/config.json', './model/model.safetensors', './model/tokenizer.json', './model/tokenizer_config.json', './model/generation_config.json'];
// The first visit's requests happen before this worker controls the page: fetch the shell now.
self.addEventListener('install', (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== location.origin) return;
  e.respondWith(
    fetch(req)
      .then(async (res) => {
        if (res.ok) await (await caches.open(CACHE)).put(req, res.clone());
        return res;
      })
      .catch(async () => (await caches.match(req, { ignoreSearch: true })) ?? Response.error()),
  );
});
