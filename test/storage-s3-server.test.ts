// HBP storage over real HTTP with STORAGE_URL on a real S3-protocol server (s3rver, started here): the core cases of
// storage-files.test.ts and storage-images.test.ts, checking the bucket where those check the disk. Each latchkey
// keeps its metadata in its own SQLite; sharing that between instances is the PostgreSQL half of issue 8.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { call } from "./support/http.ts";
import { decodeImage, encodeImage, quadrants } from "./support/images.ts";
import { startS3, type TestS3 } from "./support/s3.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";
import {
  download,
  fileRows,
  generatedFile,
  LARGE_FILE_BYTES,
  newUser,
  sha256,
  startMemoryWatch,
  STREAMING_MEMORY_BOUND,
  upload,
  uploadGenerated,
  type TestUser,
} from "./support/storage.ts";

let s3: TestS3;
let bucket: string;
let limitedBucket: string;
let server: TestServer; // defaults but MAX_UPLOAD_SIZE=256MB, on `bucket` under the prefix "lk/"
let limited: TestServer; // MAX_UPLOAD_SIZE=64KB and a rules file, on `limitedBucket` without a prefix
let alice: TestUser;
const text = (value: string) => new TextEncoder().encode(value);
const objectKeys = (prefix = "") => s3.keys(bucket, `lk/objects/${prefix}`);
const variantKeys = () => s3.keys(bucket, "lk/variants/");

beforeAll(async () => {
  s3 = await startS3();
  [bucket, limitedBucket] = await Promise.all([s3.bucket(), s3.bucket()]);
  const rulesDir = mkdtempSync(join(tmpdir(), "latchkey-rules-"));
  writeFileSync(join(rulesDir, "rules.yaml"), "functions:\n  small: 'return resource.size <= 1000'\npaths:\n  /inbox/*:\n    create: small()\n    read: 'true'\n");
  [server, limited] = await Promise.all([
    startServer({ ...s3.env(bucket, "lk"), MAX_UPLOAD_SIZE: "256MB" }), // room for the LARGE_FILE_BYTES test
    startServer({ ...s3.env(limitedBucket), MAX_UPLOAD_SIZE: "64KB", STORAGE_RULES: join(rulesDir, "rules.yaml") }),
  ]);
  alice = await newUser(server.url);
});
afterAll(async () => {
  await Promise.all([server?.stop(), limited?.stop()]);
  await s3?.stop();
});

describe("files on S3", () => {
  test("a small file: stored in the bucket under its key, back byte-identical with its metadata and headers", async () => {
    const key = `user/${alice.id}/hello.txt`;
    const content = text("hello, S3\n");
    const res = await upload(server.url, key, content, { headers: alice.auth, type: "text/plain" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key, ContentLength: content.length });
    expect(res.body.ETag).toMatch(/^"[0-9a-f]{32}"$/); // names this version (random per upload, not a digest)
    expect(await objectKeys(`user/${alice.id}/`)).toEqual([`lk/objects/${key}`]);
    expect(await s3.client(bucket).file(`lk/objects/${key}`).text()).toBe("hello, S3\n");
    const got = await download(server.url, `/storage/o/${key}`, alice.auth);
    expect(got.status).toBe(200);
    expect(Buffer.from(got.bytes).toString()).toBe("hello, S3\n");
    expect(got.headers.get("content-length")).toBe(String(content.length));
    expect(got.headers.get("content-type")).toBe("text/plain;charset=utf-8");
    expect(got.headers.get("etag")).toBe(res.body.ETag);
    expect(got.headers.get("cache-control")).toBe("private, max-age=31557600");
    expect(got.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect((await fileRows(server.dataDir, key))[0]).toMatchObject({ size: content.length, owner_id: alice.id });
  });

  test("a body over 1 MiB is streamed (no Content-Length in Bun 1.4), a smaller one or a small range has one", async () => {
    const key = `public/two-mib-${crypto.randomUUID()}.bin`;
    const content = randomBytes(2 * 1024 * 1024);
    expect((await upload(server.url, key, content, { headers: alice.auth })).status).toBe(200);
    const whole = await download(server.url, `/storage/o/${key}`);
    expect(Buffer.from(whole.bytes).equals(content)).toBe(true);
    expect([String(content.length), null]).toContain(whole.headers.get("content-length"));
    const part = await download(server.url, `/storage/o/${key}`, { range: "bytes=1048576-1049599" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-length")).toBe("1024");
    expect(Buffer.from(part.bytes).equals(content.subarray(1048576, 1049600))).toBe(true);
  });

  test("a 0-byte file", async () => {
    const key = `user/${alice.id}/empty.bin`;
    expect((await upload(server.url, key, new Uint8Array(), { headers: alice.auth })).status).toBe(200);
    const got = await download(server.url, `/storage/o/${key}`, alice.auth);
    expect([got.status, got.bytes.length, got.headers.get("content-length")]).toEqual([200, 0, "0"]);
  });

  test("a 192 MiB file streams through in multipart parts: byte-identical, and the server's memory grows by far less than its size", async () => {
    const file = generatedFile(LARGE_FILE_BYTES);
    const key = `user/${alice.id}/big.bin`;
    const memory = await startMemoryWatch(server.pid);
    const res = await uploadGenerated(server.url, key, file, alice.auth);
    expect(res.status).toBe(200);
    expect(res.body.ContentLength).toBe(file.size);
    const response = await fetch(`${server.url}/storage/o/${key}`, { headers: alice.auth });
    // Bun 1.4 drops the Content-Length of a streamed response (oven-sh/bun#10507): chunked until it keeps it.
    expect([String(file.size), null]).toContain(response.headers.get("content-length"));
    expect(await sha256(response.body!)).toBe(file.sha256());
    // Up to three 5 MiB parts buffered, plus garbage not yet collected (see STREAMING_MEMORY_BOUND for the figures).
    expect(await memory.peakGrowth()).toBeLessThan(STREAMING_MEMORY_BOUND);
  }, 120_000);

  test("overwriting keeps the token and replaces the object", async () => {
    const key = `public/overwrite-${crypto.randomUUID()}.txt`;
    const first = await upload(server.url, key, text("v1"), { headers: alice.auth });
    const second = await upload(server.url, key, text("version 2"), { headers: alice.auth });
    expect(second.body.Metadata.token).toBe(first.body.Metadata.token);
    expect(Buffer.from((await download(server.url, `/storage/o/${key}`)).bytes).toString()).toBe("version 2");
  });

  test("a file and a 'folder' of the same name can coexist on S3 (they cannot on disk)", async () => {
    expect((await upload(server.url, `public/both-${alice.id}`, text("file"), { headers: alice.auth })).status).toBe(200);
    expect((await upload(server.url, `public/both-${alice.id}/inside`, text("inside"), { headers: alice.auth })).status).toBe(200);
    expect(Buffer.from((await download(server.url, `/storage/o/public/both-${alice.id}`)).bytes).toString()).toBe("file");
  });

  test("an upload cut off after two multipart parts leaves no object and no row", async () => {
    const key = `user/${alice.id}/aborted.bin`;
    const boundary = "cut-boundary";
    const abort = new AbortController();
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(text(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n`));
        controller.enqueue(new Uint8Array(1024 * 1024).fill(7));
        sent += 1024 * 1024;
        if (sent >= 12 * 1024 * 1024) {
          await Bun.sleep(200);
          abort.abort();
        }
      },
    });
    const result = await fetch(`${server.url}/storage/o/${key}`, {
      method: "POST",
      body: stream,
      signal: abort.signal,
      headers: { ...alice.auth, "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(24 * 1024 * 1024) },
    }).catch((error: unknown) => error);
    expect(result).toBeInstanceOf(Error);
    await Bun.sleep(300);
    expect(await objectKeys(`user/${alice.id}/aborted`)).toEqual([]);
    expect(await fileRows(server.dataDir, key)).toEqual([]);
    expect((await upload(server.url, key, text("after"), { headers: alice.auth })).status).toBe(200);
  });

  test("too large (413) and refused by a rule on the file's size (403): nothing in the bucket", async () => {
    expect((await upload(limited.url, "inbox/announced.bin", new Uint8Array(70 * 1024))).status).toBe(413);
    expect((await upload(limited.url, "inbox/small.txt", new Uint8Array(1000))).status).toBe(200);
    expect((await upload(limited.url, "inbox/big.txt", new Uint8Array(1001))).status).toBe(403);
    expect((await fileRows(limited.dataDir)).map((row) => row.key)).toEqual(["inbox/small.txt"]);
    expect(await s3.keys(limitedBucket)).toEqual(["objects/inbox/small.txt"]);
  });

  test("delete removes the object; then 404", async () => {
    const key = `user/${alice.id}/to-delete.txt`;
    await upload(server.url, key, text("bye"), { headers: alice.auth });
    expect((await call(server.url, "DELETE", `/storage/o/${key}`, { headers: alice.auth })).status).toBe(204);
    expect((await download(server.url, `/storage/o/${key}`, alice.auth)).status).toBe(404);
    expect(await objectKeys(`user/${alice.id}/to-delete`)).toEqual([]);
  });
});

describe("ranges and conditional requests on S3", () => {
  let key: string;
  let etag: string;
  const content = text("0123456789abcdefghij");

  beforeAll(async () => {
    key = `public/range-${crypto.randomUUID()}.txt`;
    etag = (await upload(server.url, key, content, { headers: alice.auth })).body.ETag;
  });

  test.each([
    ["bytes=0-3", 206, "0123", "bytes 0-3/20"],
    ["bytes=10-", 206, "abcdefghij", "bytes 10-19/20"],
    ["bytes=-5", 206, "fghij", "bytes 15-19/20"],
    ["bytes=0-99", 206, "0123456789abcdefghij", "bytes 0-19/20"],
    ["bytes=20-30", 416, "", "bytes */20"],
  ] as const)("Range: %s -> %d", async (range, status, body, contentRange) => {
    const got = await download(server.url, `/storage/o/${key}`, { range });
    expect(got.status).toBe(status);
    expect(Buffer.from(got.bytes).toString()).toBe(body);
    expect(got.headers.get("content-range")).toBe(contentRange);
    if (status === 206) expect(got.headers.get("content-length")).toBe(String(body.length));
  });

  test("304 for a matching If-None-Match", async () => {
    expect((await download(server.url, `/storage/o/${key}`, { "if-none-match": etag })).status).toBe(304);
  });
});

describe("folders on S3", () => {
  test("listing and zip of a folder", async () => {
    const files: Record<string, Uint8Array> = {
      [`user/${alice.id}/album/notes.txt`]: text("some notes\n".repeat(500)),
      [`user/${alice.id}/album/photo.jpg`]: randomBytes(300_000),
      [`user/${alice.id}/album/sub/deep.json`]: text(JSON.stringify({ deep: true })),
    };
    for (const [key, content] of Object.entries(files)) expect((await upload(server.url, key, content, { headers: alice.auth })).status).toBe(200);
    const listing = await call(server.url, "GET", `/storage/m/user/${alice.id}/album/`, { headers: alice.auth });
    expect(listing.body.map((item: { key: string }) => item.key)).toEqual(Object.keys(files).sort());
    const zip = await download(server.url, `/storage/o/user/${alice.id}/album/`, alice.auth);
    expect(zip.status).toBe(200);
    const entries = unzipSync(zip.bytes);
    expect(Object.keys(entries).sort()).toEqual(Object.keys(files).sort());
    for (const [key, content] of Object.entries(files)) expect(Buffer.from(entries[key]!).equals(Buffer.from(content))).toBe(true);
  });
});

describe("image variants on S3", () => {
  test("a transform is made once and cached in the bucket; overwrite and delete remove its variants", async () => {
    const key = "public/images/s3.png";
    await upload(server.url, key, encodeImage("png", quadrants(120, 80), 120, 80), { headers: alice.auth, type: "image/png" });
    const start = (await variantKeys()).length;
    const first = await download(server.url, `/storage/o/${key}?w=60&f=webp`);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("image/webp");
    const image = await decodeImage(first.bytes);
    expect([image.format, image.width, image.height]).toEqual(["webp", 60, 40]);
    expect((await variantKeys()).length).toBe(start + 1);
    const again = await download(server.url, `/storage/o/${key}?w=60&f=webp`);
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect((await download(server.url, `/storage/o/${key}?w=60&f=webp`, { "if-none-match": first.headers.get("etag")! })).status).toBe(304);
    expect((await download(server.url, `/storage/o/${key}?w=60&f=webp`, { range: "bytes=0-3" })).bytes).toEqual(text("RIFF"));
    await download(server.url, `/storage/o/${key}?h=20`);
    expect((await variantKeys()).length).toBe(start + 2);
    await upload(server.url, key, encodeImage("png", quadrants(50, 50), 50, 50), { headers: alice.auth, type: "image/png" });
    expect((await variantKeys()).length).toBe(start);
    expect((await decodeImage((await download(server.url, `/storage/o/${key}?w=10`)).bytes)).height).toBe(10);
    expect((await call(server.url, "DELETE", `/storage/o/${key}`, { headers: alice.auth })).status).toBe(204);
    expect((await variantKeys()).length).toBe(start);
  });

  test("a file that is not an image: 415", async () => {
    const key = `public/not-an-image-${crypto.randomUUID()}.png`;
    await upload(server.url, key, text("just text"), { headers: alice.auth, type: "image/png" });
    expect((await download(server.url, `/storage/o/${key}?w=10`)).status).toBe(415);
  });
});

describe("STORAGE_URL at start-up", () => {
  test.each([
    ["not a URL", "STORAGE_URL: \"not a URL\" is not a URL"],
    ["file:///srv/files", "only s3:"],
    ["s3://Bad_Bucket?endpoint=http://127.0.0.1:1", "is not an S3 bucket name"],
  ])("STORAGE_URL=%p stops start-up naming it", async (value, message) => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-s3-bad-"));
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, PORT: "0", STORAGE_URL: value, AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test("a bucket that does not exist, or wrong credentials, stop start-up naming STORAGE_URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-s3-bad-"));
    const missing = await runLatchkey(["serve"], { DATA_DIR: dir, PORT: "0", ...s3.env("no-such-bucket") }, dir);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("STORAGE_URL: cannot list s3://no-such-bucket/");
    expect(missing.stderr).toContain("NoSuchBucket");
    const wrong = await runLatchkey(["serve"], { DATA_DIR: dir, PORT: "0", ...s3.env(bucket), AWS_ACCESS_KEY_ID: "nobody" }, dir);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain("STORAGE_URL: cannot list");
  });
});
