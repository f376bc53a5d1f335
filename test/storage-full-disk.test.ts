// A full disk under the file store (issue 23, defect 10): the upload that finds no room answers 507 in HBP's shape,
// leaves nothing in storage/tmp and no row, and the server keeps serving; once room is freed, uploads work again.
//
// The server runs in a mount namespace of its own with a 2 MiB tmpfs over <DATA_DIR>/storage (as root, which the
// suite is here: `unshare -m`, then `mount -t tmpfs`); the test sees that tmpfs as the server does, through
// /proc/<pid>/root. On PostgreSQL+S3 the files stay on the data dir too (STORAGE_URL=""): a full disk is a disk
// matter. The database stays the backend's (SQLite lives beside the tmpfs, not on it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { call } from "./support/http.ts";
import { latchkeyCommand, lineWith, startServer, waitForOutput, type TestServer } from "./support/server.ts";
import { download, fileRows, filesUnder, newUser, sha256, upload, uploadAndHangUp, type TestUser } from "./support/storage.ts";

const STORAGE_BYTES = 2 * 1024 * 1024;
let server: TestServer;
let alice: TestUser;
/** <DATA_DIR>/storage as the server sees it: its own tmpfs. */
let storage: string;

beforeAll(async () => {
  const mountStorage = `mkdir -p "$DATA_DIR/storage" && mount -t tmpfs -o size=${STORAGE_BYTES} tmpfs "$DATA_DIR/storage" && exec "$@"`;
  server = await startServer({ STORAGE_URL: "" }, { command: ["unshare", "--mount", "sh", "-c", mountStorage, "sh", ...latchkeyCommand(), "serve"] });
  storage = join(`/proc/${server.pid}/root`, server.dataDir, "storage");
  alice = await newUser(server.url);
});
afterAll(() => server?.stop());

/** Fills the server's storage until only `leftBytes` are free; returns a function that frees it again. */
function fillStorage(leftBytes: number): () => void {
  const filler = join(storage, `filler-${crypto.randomUUID()}`);
  const { bavail, bsize } = statfsSync(storage);
  writeFileSync(filler, new Uint8Array(bavail * bsize - leftBytes));
  return () => rmSync(filler);
}

describe("a full disk", () => {
  test("the storage really is the small tmpfs (or this test would prove nothing)", () => {
    const { blocks, bsize } = statfsSync(storage);
    expect(blocks * bsize).toBe(STORAGE_BYTES);
  });

  test("an upload that finds no room: 507 in HBP's shape, nothing left behind, and it works once room is freed", async () => {
    const before = await upload(server.url, `user/${alice.id}/before.txt`, "stored before the disk filled", { headers: alice.auth });
    expect(before.status).toBe(200);
    const free = fillStorage(256 * 1024);
    try {
      // Smaller than one write piece (1 MiB), so the disk fills only after the whole body is read: the answer reaches
      // the client whatever the server then does with the connection.
      const key = `user/${alice.id}/too-big-for-the-room-left.bin`;
      const content = randomBytes(512 * 1024);
      const res = await upload(server.url, key, content, { headers: alice.auth });
      expect(res).toEqual({
        status: 507,
        body: { statusCode: 507, error: "Insufficient Storage", message: "The file was not stored: the server's storage is full." },
      });
      expect(filesUnder(join(storage, "tmp"))).toEqual([]);
      expect(await fileRows(server.dataDir, key)).toEqual([]);
      expect(lineWith(await waitForOutput(server, "ENOSPC"), "ENOSPC")).toContain("storage failed"); // the operator learns why
      // Still serving, what was there included.
      expect((await call(server.url, "GET", "/healthz")).status).toBe(200);
      const earlier = await download(server.url, `/storage/o/user/${alice.id}/before.txt`, alice.auth);
      expect([earlier.status, Buffer.from(earlier.bytes).toString()]).toEqual([200, "stored before the disk filled"]);

      free();
      const again = await upload(server.url, key, content, { headers: alice.auth });
      expect(again.status).toBe(200);
      const got = await download(server.url, `/storage/o/${key}`, alice.auth);
      expect(await sha256(got.bytes)).toBe(await sha256(content));
    } finally {
      try {
        free();
      } catch {
        // freed above
      }
    }
  });

  test("a file larger than the whole disk: refused while it streams in, nothing left behind", async () => {
    const key = `user/${alice.id}/larger-than-the-disk.bin`;
    const res = await uploadAndHangUp(server.url, `/storage/o/${key}`, randomBytes(3 * STORAGE_BYTES), alice.auth);
    // Whether the client reads the 507 or sees the connection close first is defect 8's question.
    if (!(res instanceof Error)) expect(res).toMatchObject({ status: 507, body: { statusCode: 507, error: "Insufficient Storage" } });
    expect(filesUnder(join(storage, "tmp"))).toEqual([]);
    expect(filesUnder(join(storage, "objects")).filter((file) => file.includes("larger-than-the-disk"))).toEqual([]);
    expect(await fileRows(server.dataDir, key)).toEqual([]);
    expect((await upload(server.url, `user/${alice.id}/small-after.txt`, "room enough", { headers: alice.auth })).status).toBe(200);
  });
});
