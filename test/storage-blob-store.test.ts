// The blob store port on local disk: the shared conformance suite (test/support/blob-store-conformance.ts), plus
// what is particular to local disk (atomic writes, nothing left behind, file/folder conflicts).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobChangedError, createLocalBlobStore, type BlobStore } from "../src/storage/blob-store.ts";
import { StorageError } from "../src/storage/errors.ts";
import { blobStoreConformance, bytes, failingAfter } from "./support/blob-store-conformance.ts";

const roots: string[] = [];
function localStore(): BlobStore {
  const root = mkdtempSync(join(tmpdir(), "latchkey-blobs-"));
  roots.push(root);
  return createLocalBlobStore(root);
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

blobStoreConformance("local disk", localStore);

describe("local disk driver", () => {
  test("files live under objects/; a failed write leaves nothing in tmp/", async () => {
    const root = mkdtempSync(join(tmpdir(), "latchkey-blobs-"));
    roots.push(root);
    const store = createLocalBlobStore(root);
    await store.put("x/y.txt", [bytes("y")], { maxBytes: 10 });
    expect(existsSync(join(root, "objects", "x", "y.txt"))).toBe(true);
    await store.put("z", failingAfter("partial"), { maxBytes: 100 }).catch(() => {});
    await store.put("z", [bytes("too long")], { maxBytes: 2 }).catch(() => {});
    expect(readdirSync(join(root, "tmp"))).toEqual([]);
    expect(existsSync(join(root, "objects", "z"))).toBe(false);
  });

  test("once reading began, an opened blob keeps reading its version while the key is overwritten", async () => {
    const store = localStore();
    await store.put("k", [bytes("first")], { maxBytes: 100 });
    const opened = (await store.open("k"))!;
    expect(new TextDecoder().decode(await opened.read({ start: 0, end: 0 }))).toBe("f");
    await store.put("k", [bytes("second!")], { maxBytes: 100 });
    expect(await new Response(opened.stream()).text()).toBe("first");
  });

  test("an overwrite between open and the first read fails the read (BlobChangedError), as on S3", async () => {
    const store = localStore();
    await store.put("k", [bytes("first")], { maxBytes: 100 });
    const opened = (await store.open("k"))!;
    await store.put("k", [bytes("second!")], { maxBytes: 100 });
    await expect(opened.read({ start: 0, end: 4 })).rejects.toBeInstanceOf(BlobChangedError);
    const deleted = (await store.open("k"))!;
    await store.delete("k");
    await expect(new Response(deleted.stream()).text()).rejects.toBeInstanceOf(BlobChangedError);
  });

  test("leftovers of a crash in tmp/ are removed at start", () => {
    const root = mkdtempSync(join(tmpdir(), "latchkey-blobs-"));
    roots.push(root);
    createLocalBlobStore(root);
    writeFileSync(join(root, "tmp", "crashed.part"), "partial");
    createLocalBlobStore(root);
    expect(readdirSync(join(root, "tmp"))).toEqual([]);
  });

  test("delete prunes folders it emptied", async () => {
    const root = mkdtempSync(join(tmpdir(), "latchkey-blobs-"));
    roots.push(root);
    const store = createLocalBlobStore(root);
    await store.put("a/b/c/file", [bytes("x")], { maxBytes: 10 });
    await store.put("a/keep", [bytes("x")], { maxBytes: 10 });
    await store.delete("a/b/c/file");
    expect(existsSync(join(root, "objects", "a", "b"))).toBe(false);
    expect(existsSync(join(root, "objects", "a", "keep"))).toBe(true);
  });

  test("a file and a folder cannot share a path: path_conflict", async () => {
    const store = localStore();
    await store.put("a", [bytes("file")], { maxBytes: 10 });
    const error = await store.put("a/b", [bytes("x")], { maxBytes: 10 }).catch((caught) => caught);
    expect((error as StorageError).code).toBe("path_conflict");
    await store.put("c/d", [bytes("x")], { maxBytes: 10 });
    const other = await store.put("c", [bytes("x")], { maxBytes: 10 }).catch((caught) => caught);
    expect((other as StorageError).code).toBe("path_conflict");
  });

  test("keys that escape the root are refused", async () => {
    const store = localStore();
    await expect(store.put("../escape", [bytes("x")], { maxBytes: 10 })).rejects.toThrow(StorageError);
    await expect(store.open("../../etc/passwd")).rejects.toThrow(StorageError);
  });
});
