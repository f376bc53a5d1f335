// The blob store port on S3 (src/storage/s3-blob-store.ts) against a real S3-protocol server (s3rver, started here):
// the shared conformance suite, the same suite with writes through one driver instance and reads through another
// (what several latchkey instances on one bucket rely on), and what is particular to S3: multipart uploads that
// stay invisible until commit, aborts, listing across pages, keys S3 must see byte for byte.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { BlobChangedError, type BlobStore } from "../src/storage/blob-store.ts";
import { StorageError } from "../src/storage/errors.ts";
import { createS3BlobStore, PART_BYTES } from "../src/storage/s3-blob-store.ts";
import { blobStoreConformance, bytes } from "./support/blob-store-conformance.ts";
import { startS3, type TestS3 } from "./support/s3.ts";

let s3: TestS3;
let bucket: string;
let stores = 0;

beforeAll(async () => {
  s3 = await startS3();
  bucket = await s3.bucket();
});
afterAll(() => s3.stop());

/** A store of its own: a fresh prefix in the shared bucket, through its own client (as another process would have). */
function s3Store(prefix = `run-${++stores}/objects/`, listPageSize?: number): BlobStore {
  return createS3BlobStore({ client: s3.client(bucket), prefix, listPageSize });
}

const MiB = 1024 * 1024;
const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

/** `size` bytes in pieces of 256 KiB, then optionally a failure (a client that drops the connection). */
async function* pieces(data: Uint8Array, options: { failAfter?: number } = {}): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += 256 * 1024) {
    if (options.failAfter !== undefined && offset >= options.failAfter) throw new Error("connection dropped");
    yield data.subarray(offset, offset + 256 * 1024);
  }
}

blobStoreConformance("S3", () => s3Store());

// Two driver instances (two clients) on one bucket and prefix: every write through the first, every read, listing
// and delete through the second. The blob store is shared; the metadata (files rows) is not yet: see README.
blobStoreConformance("S3 shared by two instances", () => {
  const prefix = `shared-${++stores}/objects/`;
  const writer = s3Store(prefix);
  const reader = s3Store(prefix);
  return { stage: writer.stage, put: writer.put, open: reader.open, stat: reader.stat, delete: reader.delete, list: reader.list };
});

describe("S3 driver", () => {
  test("a multipart upload (3 parts) is invisible until commit, then byte-identical", async () => {
    const store = s3Store();
    const data = randomBytes(2 * PART_BYTES + 123_456);
    const staged = await store.stage("big.bin", pieces(data), { maxBytes: 100 * MiB, md5: true });
    expect(staged).toMatchObject({ size: data.length, md5Hex: md5(data) });
    await Bun.sleep(100); // the parts are up by now; the object must still not exist
    expect(await store.stat("big.bin")).toBeNull();
    await staged.commit();
    const opened = (await store.open("big.bin"))!;
    expect(opened.size).toBe(data.length);
    const back = new Uint8Array(await new Response(opened.stream()).arrayBuffer());
    expect(md5(back)).toBe(md5(data));
    // A range across a part boundary.
    const range = { start: PART_BYTES - 10, end: PART_BYTES + 9 };
    expect(Buffer.from(await (await store.open("big.bin"))!.read(range)).equals(data.subarray(range.start, range.end + 1))).toBe(true);
  });

  test("a discarded multipart upload leaves the old version; a source failing after two parts leaves it too", async () => {
    const store = s3Store();
    await store.put("k", [bytes("old")], { maxBytes: 100 });
    const data = randomBytes(2 * PART_BYTES + 1);
    const staged = await store.stage("k", pieces(data), { maxBytes: 100 * MiB });
    await staged.discard();
    expect(await text((await store.open("k"))!.stream())).toBe("old");
    await expect(store.put("k", pieces(data, { failAfter: 2 * PART_BYTES }), { maxBytes: 100 * MiB })).rejects.toThrow("connection dropped");
    expect(await text((await store.open("k"))!.stream())).toBe("old");
    const tooLarge = await store.put("new", pieces(data), { maxBytes: PART_BYTES + 1 }).catch((error) => error);
    expect((tooLarge as StorageError).code).toBe("too_large");
    expect(await store.stat("new")).toBeNull();
  });

  test("reading a version that was overwritten since open fails (BlobChangedError) instead of sending other bytes", async () => {
    const store = s3Store();
    await store.put("k", [bytes("first")], { maxBytes: 100 });
    const opened = (await store.open("k"))!;
    await store.put("k", [bytes("second")], { maxBytes: 100 });
    await expect(opened.body()).rejects.toBeInstanceOf(BlobChangedError);
    await expect(opened.read({ start: 0, end: 1 })).rejects.toBeInstanceOf(BlobChangedError);
  });

  test("listing follows continuation tokens; the prefix keeps stores apart", async () => {
    const objects = s3Store("paged/objects/", 2);
    const variants = s3Store("paged/variants/", 2);
    const keys = Array.from({ length: 7 }, (_, index) => `dir/file-${index}.txt`);
    for (const key of keys) await objects.put(key, [bytes(key)], { maxBytes: 100 });
    await variants.put("dir/other.webp", [bytes("v")], { maxBytes: 100 });
    const listed: string[] = [];
    for await (const blob of objects.list("dir/")) listed.push(blob.key);
    expect(listed.sort()).toEqual(keys);
    expect(await s3.keys(bucket, "paged/")).toEqual([...keys.map((key) => `paged/objects/${key}`), "paged/variants/dir/other.webp"].sort());
  });

  test.each(["été à la plage.txt", "a+b c=d&e.txt", "100%25 sure.txt", "what?#not-a-fragment", "emoji 😀/x", "semi;colon,comma'quote\"", "~tilde*star(1)"])(
    "key %p is stored and read under exactly that name",
    async (name) => {
      const store = s3Store();
      const key = `odd/${name}`;
      await store.put(key, [bytes(name)], { maxBytes: 1000 });
      expect(await text((await store.open(key))!.stream())).toBe(name);
      const listed: string[] = [];
      for await (const blob of store.list("odd/")) listed.push(blob.key);
      expect(listed).toEqual([key]);
      expect(await store.delete(key)).toBe(true);
      expect(await store.stat(key)).toBeNull();
    },
  );

  test("an unreachable S3 fails the calls (no hang, nothing half-done)", async () => {
    const client = new Bun.S3Client({ endpoint: "http://127.0.0.1:9", bucket: "nowhere", region: "us-east-1", accessKeyId: "x", secretAccessKey: "y" });
    const store = createS3BlobStore({ client, prefix: "objects/" });
    await expect(store.open("a")).rejects.toThrow();
    await expect(store.put("a", [bytes("x")], { maxBytes: 10 })).rejects.toThrow();
    await expect((async () => {
      for await (const _ of store.list("")) break;
    })()).rejects.toThrow();
  });
});
