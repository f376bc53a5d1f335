// HBP storage over real HTTP with STORAGE_URL on a real S3-protocol server (s3rver): what only S3 does. The scenarios
// every store must pass run on S3 too, in storage-files.test.ts and storage-images.test.ts (test/support/blob-stores.ts);
// here: where objects sit in the bucket, bodies streamed without a length, a file and a "folder" of one name, and
// what STORAGE_URL stops start-up for.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeImage, quadrants } from "./support/images.ts";
import { sharedS3, type TestS3 } from "./support/s3.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";
import { download, newUser, upload, type TestUser } from "./support/storage.ts";

let s3: TestS3;
let bucket: string;
let plainBucket: string;
let server: TestServer; // on `bucket` under the prefix "lk/"
let plain: TestServer; // on `plainBucket` without a prefix
let alice: TestUser;
const text = (value: string) => new TextEncoder().encode(value);

beforeAll(async () => {
  s3 = await sharedS3();
  [bucket, plainBucket] = await Promise.all([s3.bucket(), s3.bucket()]);
  [server, plain] = await Promise.all([startServer(s3.env(bucket, "lk")), startServer(s3.env(plainBucket))]);
  alice = await newUser(server.url);
});
afterAll(() => Promise.all([server?.stop(), plain?.stop()]));

describe("files on S3", () => {
  test("objects sit in the bucket under <prefix>/objects/<key>, variants under <prefix>/variants/, or without a prefix at the root", async () => {
    const key = `user/${alice.id}/hello.txt`;
    expect((await upload(server.url, key, text("hello, S3\n"), { headers: alice.auth, type: "text/plain" })).status).toBe(200);
    expect(await s3.keys(bucket, `lk/objects/user/${alice.id}/`)).toEqual([`lk/objects/${key}`]);
    expect(await s3.client(bucket).file(`lk/objects/${key}`).text()).toBe("hello, S3\n");

    const image = `public/layout-${crypto.randomUUID()}.png`;
    await upload(server.url, image, encodeImage("png", quadrants(40, 40), 40, 40), { headers: alice.auth, type: "image/png" });
    expect((await download(server.url, `/storage/o/${image}?w=10`)).status).toBe(200);
    const everything = await s3.keys(bucket);
    expect(everything.filter((key) => key.startsWith("lk/variants/"))).toHaveLength(1);
    expect(everything.filter((key) => !/^lk\/(objects|variants)\//.test(key))).toEqual([]);

    const bob = await newUser(plain.url);
    expect((await upload(plain.url, `user/${bob.id}/note.txt`, text("no prefix"), { headers: bob.auth })).status).toBe(200);
    expect(await s3.keys(plainBucket)).toEqual([`objects/user/${bob.id}/note.txt`]);
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

  test("a file and a 'folder' of the same name can coexist on S3 (they cannot on disk)", async () => {
    expect((await upload(server.url, `public/both-${alice.id}`, text("file"), { headers: alice.auth })).status).toBe(200);
    expect((await upload(server.url, `public/both-${alice.id}/inside`, text("inside"), { headers: alice.auth })).status).toBe(200);
    expect(Buffer.from((await download(server.url, `/storage/o/public/both-${alice.id}`)).bytes).toString()).toBe("file");
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
