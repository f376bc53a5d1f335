// A folder's zip while its files change (issue 24's fuzz test found it: a zip cut off with ECONNRESET on S3). The
// zip lists the folder first and reads each file when it reaches it; on S3 a read is a HEAD and then a GET of that
// version, so a file overwritten or deleted between the two used to fail the whole zip. Now the file is opened again
// as it is (storage/zip-entry-bytes.ts), and one deleted meanwhile is left out. The S3 service here is a stand-in
// that replaces or deletes an object right before answering its GET: no real S3 server can be timed to do that.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { unzipSync } from "fflate";
import { startServer, type TestServer } from "./support/server.ts";
import { newUser, upload, type TestUser } from "./support/storage.ts";

const BUCKET = "changing-bucket";

interface StoredObject {
  bytes: Uint8Array;
  etag: string;
}
const objects = new Map<string, StoredObject>();
/** What happens to an object just before its next GET is answered. */
const beforeGet = new Map<string, "replace" | "delete">();
let etags = 0;

const s3 = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(`/${BUCKET}/`.length));
    if (request.method === "GET" && url.searchParams.get("list-type") === "2") {
      return new Response(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${BUCKET}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
        { headers: { "content-type": "application/xml" } },
      );
    }
    if (request.method === "PUT") {
      const stored = { bytes: new Uint8Array(await request.arrayBuffer()), etag: `"etag-${++etags}"` };
      objects.set(key, stored);
      return new Response(null, { headers: { etag: stored.etag } });
    }
    if (request.method === "DELETE") {
      objects.delete(key);
      return new Response(null, { status: 204 });
    }
    if (request.method === "GET") {
      const change = beforeGet.get(key);
      beforeGet.delete(key);
      if (change === "delete") objects.delete(key);
      if (change === "replace") objects.set(key, { bytes: new TextEncoder().encode(`replaced ${key}`), etag: `"etag-${++etags}"` });
    }
    const object = objects.get(key);
    if (!object) return new Response(null, { status: 404 });
    const headers = { etag: object.etag, "content-length": String(object.bytes.length), "last-modified": new Date().toUTCString() };
    if (request.method === "HEAD") return new Response(null, { headers });
    if (request.method !== "GET") return new Response(null, { status: 405 });
    const ifMatch = request.headers.get("if-match");
    if (ifMatch !== null && ifMatch !== object.etag) return new Response(null, { status: 412 });
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.get("range") ?? "");
    if (!range) return new Response(object.bytes, { headers });
    const part = object.bytes.subarray(Number(range[1]), Number(range[2]) + 1);
    return new Response(part, { status: 206, headers: { ...headers, "content-length": String(part.length) } });
  },
});

let server: TestServer;
let alice: TestUser;
beforeAll(async () => {
  server = await startServer({
    STORAGE_URL: `s3://${BUCKET}?endpoint=http://127.0.0.1:${s3.port}&region=us-east-1`,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test-secret",
  });
  alice = await newUser(server.url);
});
afterAll(async () => {
  await server?.stop();
  s3.stop(true);
});

test("a file overwritten, and one deleted, between the listing and their reading: the zip completes with what is there", async () => {
  const folder = `user/${alice.id}/album/`;
  for (const name of ["a.txt", "b.txt", "c.txt"]) {
    expect((await upload(server.url, `${folder}${name}`, `first ${name}`, { headers: alice.auth, type: "text/plain" })).status).toBe(200);
  }
  beforeGet.set(`objects/${folder}b.txt`, "replace");
  beforeGet.set(`objects/${folder}c.txt`, "delete");

  const response = await fetch(`${server.url}/storage/o/${folder}`, { headers: alice.auth });
  expect(response.status).toBe(200);
  const entries = unzipSync(new Uint8Array(await response.arrayBuffer()));
  const text = (name: string) => new TextDecoder().decode(entries[`${folder}${name}`]);
  expect(Object.keys(entries).sort()).toEqual([`${folder}a.txt`, `${folder}b.txt`]);
  expect(text("a.txt")).toBe("first a.txt");
  expect(text("b.txt")).toBe(`replaced objects/${folder}b.txt`);
});
