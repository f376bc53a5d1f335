// The blob store conformance suite: every driver runs these cases (the local-disk driver in
// test/storage-blob-store.test.ts, the S3 driver against s3rver in test/storage-s3.test.ts).
import { describe, expect, test } from "bun:test";
import type { BlobStore } from "../../src/storage/blob-store.ts";
import { StorageError } from "../../src/storage/errors.ts";

export const bytes = (text: string) => new TextEncoder().encode(text);
const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();

async function* slowly(...pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    await Bun.sleep(1);
    yield bytes(piece);
  }
}

export async function* failingAfter(piece: string): AsyncGenerator<Uint8Array> {
  yield bytes(piece);
  throw new Error("connection dropped");
}

export function blobStoreConformance(name: string, makeStore: () => BlobStore): void {
  describe(`${name}: blob store conformance`, () => {
    test("put then open reads the same bytes, also in ranges", async () => {
      const store = makeStore();
      const put = await store.put("a/b/c.txt", slowly("hello ", "world"), { maxBytes: 100 });
      expect(put).toEqual({ size: 11, md5Hex: null }); // MD5 only when asked for
      const opened = (await store.open("a/b/c.txt"))!;
      expect(opened.size).toBe(11);
      expect(Buffer.from(await opened.read({ start: 0, end: 4 })).toString()).toBe("hello");
      expect(await text(opened.stream({ start: 6, end: 10 }))).toBe("world");
      expect(await new Response(await (await store.open("a/b/c.txt"))!.body({ start: 2, end: 3 })).text()).toBe("ll");
      expect(await new Response(await (await store.open("a/b/c.txt"))!.body()).text()).toBe("hello world");
    });

    test("uploads at once, each of several MiB in uneven pieces, each stored whole with the MD5 of its own bytes", async () => {
      // The MD5s are computed on one shared worker in 1 MiB pieces (src/storage/md5.ts), and the disk driver gathers
      // chunks into 1 MiB writes: streams must not mix, and a boundary inside a chunk (or a chunk larger than a
      // piece) must not lose or repeat bytes.
      const store = makeStore();
      const uploads = [100_003, 1_500_007, 65_536].map((step, index) => {
        const data = crypto.getRandomValues(new Uint8Array(3 * 1024 * 1024 + 12_345 * (index + 1)));
        const pieces = Array.from({ length: Math.ceil(data.length / step) }, (_, at) => data.subarray(at * step, (at + 1) * step));
        return { key: `md5/${index}.bin`, data, pieces };
      });
      const staged = await Promise.all(uploads.map(({ key, pieces }) => store.put(key, pieces, { maxBytes: 10 * 1024 * 1024, md5: true })));
      for (const [index, result] of staged.entries()) {
        const { key, data } = uploads[index]!;
        expect(result).toEqual({ size: data.length, md5Hex: new Bun.CryptoHasher("md5").update(data).digest("hex") });
        const back = new Uint8Array(await new Response((await store.open(key))!.stream()).arrayBuffer());
        expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
      }
    });

    test("an empty blob", async () => {
      const store = makeStore();
      expect((await store.put("empty", [], { maxBytes: 10 })).size).toBe(0);
      const opened = (await store.open("empty"))!;
      expect(opened.size).toBe(0);
      expect(await text(opened.stream())).toBe("");
    });

    test("a missing key: open and stat give null, delete gives false", async () => {
      const store = makeStore();
      expect(await store.open("nope/x")).toBeNull();
      expect(await store.stat("nope/x")).toBeNull();
      expect(await store.delete("nope/x")).toBe(false);
    });

    test("overwrite replaces the whole blob", async () => {
      const store = makeStore();
      await store.put("k", [bytes("a much longer first version")], { maxBytes: 100 });
      await store.put("k", [bytes("v2")], { maxBytes: 100 });
      expect(await text((await store.open("k"))!.stream())).toBe("v2");
    });

    // A driver may keep reading the old version or fail (both do fail: S3 without versioning cannot read it, and
    // disk opens its file only at the first read). What every driver owes: never the other version's bytes under
    // this version's size.
    test("an opened blob reads its own version or fails, never the version that overwrote it", async () => {
      const store = makeStore();
      await store.put("k", [bytes("first")], { maxBytes: 100 });
      const opened = (await store.open("k"))!;
      await store.put("k", [bytes("second!")], { maxBytes: 100 });
      const read = await text(opened.stream()).catch((error: unknown) => error);
      if (typeof read === "string") expect(read).toBe("first");
      else expect(read).toBeInstanceOf(Error);
      const again = (await store.open("k"))!;
      expect(again.size).toBe(7);
      const body = await new Response(await again.body()).text().catch((error: unknown) => error);
      expect(body).toBe("second!");
    });

    test("stage: nothing is visible until commit; discard leaves nothing", async () => {
      const store = makeStore();
      await store.put("draft", [bytes("old")], { maxBytes: 100 });
      const staged = await store.stage("draft", [bytes("new draft")], { maxBytes: 100 });
      expect(staged.size).toBe(9);
      expect((await store.stat("draft"))?.size).toBe(3);
      await staged.discard();
      expect(await text((await store.open("draft"))!.stream())).toBe("old");
      expect(await store.stat("kept")).toBeNull();
      const kept = await store.stage("kept", [bytes("kept")], { maxBytes: 100 });
      expect(await store.stat("kept")).toBeNull();
      await kept.commit();
      await kept.discard(); // harmless after commit
      expect((await store.stat("kept"))?.size).toBe(4);
    });

    test("too large: refused with too_large, nothing stored", async () => {
      const store = makeStore();
      const error = await store.put("big", [bytes("12345"), bytes("67890")], { maxBytes: 7 }).catch((caught) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe("too_large");
      expect(await store.stat("big")).toBeNull();
    });

    test("a source that fails midway stores nothing and keeps the old version", async () => {
      const store = makeStore();
      await store.put("k", [bytes("old")], { maxBytes: 100 });
      await expect(store.put("k", failingAfter("new but cut"), { maxBytes: 100 })).rejects.toThrow("connection dropped");
      expect(await text((await store.open("k"))!.stream())).toBe("old");
    });

    test("list by prefix (a plain string prefix)", async () => {
      const store = makeStore();
      for (const key of ["p/a.txt", "p/sub/b.txt", "pq/c.txt", "other/d.txt"]) await store.put(key, [bytes(key)], { maxBytes: 100 });
      const keys = async (prefix: string) => {
        const found: string[] = [];
        for await (const blob of store.list(prefix)) found.push(blob.key);
        return found.sort();
      };
      expect(await keys("p/")).toEqual(["p/a.txt", "p/sub/b.txt"]);
      expect(await keys("p")).toEqual(["p/a.txt", "p/sub/b.txt", "pq/c.txt"]);
      expect(await keys("p/sub/")).toEqual(["p/sub/b.txt"]);
      expect(await keys("zzz/")).toEqual([]);
      expect((await keys("")).length).toBe(4);
    });

    test("delete removes the blob", async () => {
      const store = makeStore();
      await store.put("d/x", [bytes("x")], { maxBytes: 10 });
      expect(await store.delete("d/x")).toBe(true);
      expect(await store.open("d/x")).toBeNull();
    });
  });
}

