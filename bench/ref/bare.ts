// The reference for small requests: a bare Bun.serve route (a fetch handler, as an app's own route would be),
// answering GET /healthz with "OK" like latchkey does. `PORT=... bun bench/ref/bare.ts`
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch(request) {
    if (new URL(request.url).pathname === "/healthz") {
      return new Response("OK", { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    return new Response("Not Found", { status: 404 });
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);

export {}; // a module (top-level await)
