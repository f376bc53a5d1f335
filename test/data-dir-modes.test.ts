// File modes in the data directory (issue 23, defect 5): it holds the database with password hashes and the
// generated signing keys, stored files and mails with sign-in links, so nothing in it is readable by other users.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ON_DATA_DIR } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { call } from "./support/http.ts";
import { encodeImage, quadrants } from "./support/images.ts";
import { runLatchkey, startServer } from "./support/server.ts";
import { upload } from "./support/storage.ts";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh working folder; latchkey is told to keep its data in `data/` under it, which does not exist yet. */
function workingFolder(): { cwd: string; dataDir: string } {
  const cwd = mkdtempSync(join(tmpdir(), "latchkey-modes-"));
  folders.push(cwd);
  return { cwd, dataDir: join(cwd, "data") };
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Every path under `folder` (itself included) with its mode, e.g. {"storage/objects": "700", "latchkey.db": "600"}. */
function modesUnder(folder: string): Record<string, string> {
  const modes: Record<string, string> = { ".": modeOf(folder) };
  const walk = (directory: string, prefix: string) => {
    for (const entry of readdirSync(directory)) {
      const path = join(directory, entry);
      modes[prefix + entry] = modeOf(path);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
    }
  };
  walk(folder, "");
  return modes;
}

/** Registers a user, uploads a JPEG and makes a variant of it, and has a reset mail written to the outbox. */
async function writeEverything(url: string, dataDir: string): Promise<void> {
  const email = `modes-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await call(url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  expect(registered.status).toBe(200);
  const auth = { authorization: `Bearer ${registered.body.jwt_token}` };
  const key = `user/${registered.body.user.id}/photo.jpg`;
  const jpeg = encodeImage("jpeg", quadrants(64, 48), 64, 48);
  expect((await upload(url, key, jpeg, { headers: auth, type: "image/jpeg" })).status).toBe(200);
  expect((await fetch(`${url}/storage/o/${key}?w=32`, { headers: auth })).status).toBe(200);
  expect((await call(url, "POST", "/auth/change-password/request", { json: { email } })).status).toBe(204);
  // Mail may be sent after the answer: wait for the file.
  await eventually(() => existsSync(join(dataDir, "outbox")) && readdirSync(join(dataDir, "outbox")).length > 0, { what: "a mail in the outbox" });
}

describe("a fresh data directory", () => {
  test("SQLite and disk: the directory is 0700, and the database, its WAL, stored files, variants and mails 0600", async () => {
    const { cwd, dataDir } = workingFolder();
    const server = await startServer({ ...ON_DATA_DIR, DATA_DIR: dataDir, LOST_PASSWORD_ENABLED: "true" }, { dataDir: cwd });
    try {
      await writeEverything(server.url, dataDir);
      const modes = modesUnder(dataDir);
      expect(modes["."]).toBe("700");
      expect(modes["latchkey.db"]).toBe("600");
      expect(modes["latchkey.db-wal"]).toBe("600");
      expect(modes["storage/tmp"]).toBe("700");
      expect(Object.keys(modes).some((path) => path.startsWith("storage/objects/user/") && path.endsWith("photo.jpg"))).toBe(true);
      expect(Object.keys(modes).some((path) => path.startsWith("storage/variants/"))).toBe(true);
      expect(Object.keys(modes).some((path) => path.startsWith("outbox/") && path.endsWith(".eml"))).toBe(true);
      // Nothing anywhere in it has a group or other bit.
      const shared = Object.entries(modes).filter(([, mode]) => !/^[67]00$/.test(mode));
      expect(shared).toEqual([]);
      expect(server.output()).not.toContain("other users can read");
    } finally {
      await server.stop();
    }
  });

  test("on the test backend (PostgreSQL and S3 too): whatever latchkey writes in the directory is 0600 in a 0700 folder", async () => {
    const { cwd, dataDir } = workingFolder();
    const server = await startServer({ DATA_DIR: dataDir, LOST_PASSWORD_ENABLED: "true" }, { dataDir: cwd });
    try {
      await writeEverything(server.url, dataDir);
      const modes = modesUnder(dataDir);
      expect(modes["."]).toBe("700");
      expect(Object.keys(modes).some((path) => path.startsWith("outbox/"))).toBe(true);
      expect(Object.entries(modes).filter(([, mode]) => !/^[67]00$/.test(mode))).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  test("every command creates it 0700: migrate", async () => {
    const { cwd, dataDir } = workingFolder();
    const result = await runLatchkey(["migrate"], { ...ON_DATA_DIR, DATA_DIR: dataDir }, cwd);
    expect(result.exitCode).toBe(0);
    expect(modeOf(dataDir)).toBe("700");
    expect(modeOf(join(dataDir, "latchkey.db"))).toBe("600");
  });
});

describe("an existing data directory open to other users", () => {
  test("a 0755 directory gets a start-up warning naming it and the chmod that fixes it", async () => {
    const { cwd, dataDir } = workingFolder();
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const server = await startServer({ DATA_DIR: dataDir }, { dataDir: cwd });
    try {
      expect(server.output()).toContain(`WARN other users can read the data directory`);
      expect(server.output()).toContain(`${dataDir} (0755)`);
      expect(server.output()).toContain(`fix with: chmod -R go= ${dataDir}`);
    } finally {
      await server.stop();
    }
    // latchkey does not change an operator's modes behind their back: it tells them.
    expect(modeOf(dataDir)).toBe("755");
  });

  test("a 0644 database (from an older latchkey) is named too", async () => {
    const { cwd, dataDir } = workingFolder();
    expect((await runLatchkey(["migrate"], { ...ON_DATA_DIR, DATA_DIR: dataDir }, cwd)).exitCode).toBe(0);
    chmodSync(join(dataDir, "latchkey.db"), 0o644);
    const result = await runLatchkey(["user", "list"], { ...ON_DATA_DIR, DATA_DIR: dataDir }, cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`${join(dataDir, "latchkey.db")} (0644)`);
    expect(result.stderr).not.toContain(`${dataDir} (0`);
  });
});
