// The floor of an upload through Bun: a bare Bun.serve taking a POST (to any path, so bench/lib/harness.ts's
// curlUpload can send to it as to latchkey; its headers are ignored) and writing the request's body, as it
// streams in, to a file in DIR in pieces of 1 MiB, then fsync (as `dd bs=1M conv=fsync`, and as latchkey syncs
// before its rename). No multipart parsing, no checks, no rename, no row: what is left of latchkey's upload path
// when its own work is taken away. It answers the bytes it wrote; the file is removed after the answer.
// `PORT=... DIR=... bun bench/ref/bare-upload.ts` (bench/run.ts, the upload contest)
import { open, rm } from "node:fs/promises";
import { join } from "node:path";

const dir = process.env.DIR!;
const PIECE = 1 << 20;
let uploads = 0;

async function receive(body: ReadableStream<Uint8Array>): Promise<number> {
  const path = join(dir, `bare-upload-${process.pid}-${uploads++}.part`);
  const handle = await open(path, "w", 0o600);
  const piece = new Uint8Array(PIECE);
  let filled = 0;
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      let offset = 0;
      while (offset < chunk.byteLength) {
        const take = Math.min(PIECE - filled, chunk.byteLength - offset);
        piece.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === PIECE) {
          await handle.write(piece, 0, filled);
          filled = 0;
        }
      }
    }
    if (filled > 0) await handle.write(piece, 0, filled);
    await handle.sync();
    return size;
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  maxRequestBodySize: 4 * 1024 ** 3,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return new Response("OK");
    if (request.method !== "POST" || !request.body) return new Response("Not Found", { status: 404 });
    return Response.json({ bytes: await receive(request.body) });
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);

export {}; // a module
