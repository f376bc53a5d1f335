// The floor of a download with latchkey's answer: a bare Bun.serve answering GET /file.bin as latchkey answers a
// stored file (src/apis/hbp/storage/file-response.ts), with nothing of its routing, caller, rules or row: a stat on
// the event loop, an async handler, the same ten headers (ETag, Last-Modified, Cache-Control, CSP ...) and an
// X-Request-Id. Beside bench/ref/bare-file.ts it splits latchkey's gap to the bare floor into what the answer's shape
// costs and what latchkey's own work costs. `PORT=... FILE=... bun bench/ref/bare-file-shaped.ts` (bytes-paths.ts,
// FLOOR=shaped).
import { statSync } from "node:fs";

const file = process.env.FILE!;
const ETAG = `"${"0".repeat(32)}"`;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    if (new URL(request.url).pathname !== "/file.bin") return new Response("Not Found", { status: 404 });
    const info = statSync(file, { throwIfNoEntry: false });
    if (!info) return new Response("Not Found", { status: 404 });
    await null; // latchkey's route answers after awaits (its guard, its row): the answer is a promise's
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      etag: ETAG,
      "last-modified": new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString(),
      "cache-control": "public, max-age=31557600",
      "accept-ranges": "bytes",
      "content-disposition": "inline",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    };
    const response = new Response(Bun.file(file), { status: 200, headers: { ...headers, "content-length": String(info.size) } });
    response.headers.set("x-request-id", crypto.randomUUID());
    return response;
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);

export {}; // a module (top-level await)
