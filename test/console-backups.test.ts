// The console's Backups API (issue 28, item 6; src/apis/console/backups.ts over src/backup-administration.ts),
// black-box over HTTP: on SQLite the backups at BACKUP_URL and the schedule, a backup made now (a whole archive at
// the destination, the overview's last backup), a download streamed byte for byte, each audited; on PostgreSQL the
// page says why there are none (pg_dump) and a backup is refused with 409. Permissions: console-api.test.ts's walk.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_BACKEND } from "./support/backend.ts";
import { consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const ADMIN_EMAIL = "backups-admin@console.example";
const ADMIN_PASSWORD = "console-admin-password-3";
const SCHEDULE = "0 3 1 1 *";

let server: TestServer;
let admin: ConsoleClient;
const folder = mkdtempSync(join(tmpdir(), "latchkey-console-backups-"));

beforeAll(async () => {
  const backups: Record<string, string> = TEST_BACKEND === "sqlite-disk" ? { BACKUP_URL: folder, BACKUP_SCHEDULE: SCHEDULE, BACKUP_KEEP: "3" } : {};
  server = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD, ...backups });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
});
afterAll(async () => {
  await server.stop();
  rmSync(folder, { recursive: true, force: true });
});

async function auditOf(target: string): Promise<any[]> {
  const res = await admin.call("GET", `/audit?target=${encodeURIComponent(target)}`);
  expect(res.status).toBe(200);
  return res.body.entries;
}

// Backups are of SQLite only (PostgreSQL's are pg_dump's): these run on the SQLite backend, the next on both.
if (TEST_BACKEND === "sqlite-disk") describe("on SQLite, with BACKUP_URL", () => {
  test("the page shows the destination, the schedule and what to do to restore; no backups yet", async () => {
    const res = await admin.call("GET", "/backups");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ destination: folder, unavailable: null, schedule: SCHEDULE, keep: 3, backups: [], last_success_at: null });
    expect(res.body.restore).toContain("latchkey restore");
  });

  test("back up now: a whole archive at BACKUP_URL, listed newest first, the overview's last backup, audited", async () => {
    const made = await admin.call("POST", "/backups");
    expect(made.status).toBe(200);
    const { name, bytes } = made.body.backup;
    expect(name).toMatch(/^latchkey-backup-\d{8}T\d{9}Z\.zip$/);
    expect(readdirSync(folder)).toContain(name);
    expect(readFileSync(join(folder, name)).byteLength).toBe(bytes);
    const second = await admin.call("POST", "/backups");
    expect(second.status).toBe(200);
    const list = await admin.call("GET", "/backups");
    expect(list.body.backups.map((backup: any) => backup.name)).toEqual([second.body.backup.name, name]);
    expect(list.body.last_success_at).toBeGreaterThan(0);
    const overview = await admin.call("GET", "/overview");
    expect(JSON.stringify(overview.body)).toContain(String(list.body.last_success_at));
    const [entry] = await auditOf(`backup:${name}`);
    expect(entry).toMatchObject({ action: "backup_created", admin_email: ADMIN_EMAIL, details: { bytes, to: folder } });
  });

  test("download: the archive's bytes, streamed as an attachment, audited; an unknown name 404; a path 400", async () => {
    const { name } = (await admin.call("GET", "/backups")).body.backups[0];
    const res = await fetch(`${server.url}/console/api/backups/${name}`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${name}"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes).equals(readFileSync(join(folder, name)))).toBe(true);
    expect(Buffer.from(bytes.subarray(0, 2)).toString()).toBe("PK");
    expect((await auditOf(`backup:${name}`)).map((entry) => entry.action)).toContain("backup_downloaded");
    const unknown = await admin.call("GET", "/backups/latchkey-backup-20000101T000000000Z.zip");
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "backup_not_found"]);
    const traversal = await admin.call("GET", `/backups/${encodeURIComponent("../latchkey.db")}`);
    expect(traversal.status).toBe(400);
  });

  test("without the CSRF token nothing is made", async () => {
    const before = readdirSync(folder).length;
    const res = await call(server.url, "POST", "/console/api/backups", { headers: { cookie: admin.cookie } });
    expect([res.status, res.body.error.code]).toEqual([403, "csrf_token_invalid"]);
    expect(readdirSync(folder).length).toBe(before);
  });
});

describe("where no backup can be made", () => {
  test("the page says why (PostgreSQL: pg_dump; SQLite without BACKUP_URL: set it), and a backup now is 409 backups_unavailable, not audited", async () => {
    const bare = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD });
    try {
      const client = await consoleSignIn(bare.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      const res = await client.call("GET", "/backups");
      expect(res.status).toBe(200);
      expect(res.body.unavailable).toContain(TEST_BACKEND === "postgres-s3" ? "pg_dump" : "BACKUP_URL is not set");
      expect(res.body).toMatchObject({ destination: null, schedule: null, backups: [] });
      const made = await client.call("POST", "/backups");
      expect([made.status, made.body.error.code]).toEqual([409, "backups_unavailable"]);
      expect((await client.call("GET", "/audit?action=backup_created")).body.entries).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});
