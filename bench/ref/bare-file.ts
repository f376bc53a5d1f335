// The floor of a download through Bun: a bare Bun.serve answering GET /file.bin with `new Response(Bun.file(FILE))`
// (Bun sends it with sendfile), nothing else. `PORT=... FILE=... bun bench/ref/bare-file.ts` (bench/tools/bytes-paths.ts)
const file = process.env.FILE!;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch(request) {
    if (new URL(request.url).pathname === "/file.bin") return new Response(Bun.file(file));
    return new Response("Not Found", { status: 404 });
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);

export {}; // a module (top-level await)
