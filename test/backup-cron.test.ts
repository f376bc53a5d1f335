// BACKUP_SCHEDULE as a cron expression (src/config-backup-schedule.ts): a server with a seconds-field cron makes its
// backups at those times, each one a real archive; a bad cron, or one that never comes round, stops start-up with
// exit 2 naming BACKUP_SCHEDULE. Scheduled backups are SQLite's (PostgreSQL is pg_dump's), so these run on SQLite and
// disk whatever LATCHKEY_TEST_BACKEND says, as test/backup.test.ts does.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ON_DATA_DIR } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { runLatchkey, startServer } from "./support/server.ts";

const ARCHIVE_NAME = /^latchkey-backup-\d{8}T\d{9}Z\.zip$/;
const onDisk = (dataDir: string) => ({ ...ON_DATA_DIR, DATA_DIR: dataDir });

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "latchkey-backup-cron-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("a cron BACKUP_SCHEDULE with a seconds field makes backups at its times, and keeps BACKUP_KEEP of them", async () => {
  const dataDir = join(work, "data");
  const destination = join(work, "backups");
  // Every second second: no backup at start (cron waits for its time, an interval would not), then one each time.
  const server = await startServer({ ...onDisk(dataDir), BACKUP_SCHEDULE: "*/2 * * * * *", BACKUP_URL: destination, BACKUP_KEEP: "2" }, { dataDir });
  try {
    const [line] = await server.waitFor(/^.*backups scheduled .*$/m, 10_000);
    expect(line).toContain('cron="*/2 * * * * *"');
    expect(line).not.toContain("every_seconds");
    expect(line).toMatch(/first_in_seconds=[0-2]\b/);
    await eventually(() => (server.output().match(/backup finished/g) ?? []).length >= 3, { what: "three cron backups", timeoutMs: 60_000 });
  } finally {
    await server.stop();
  }
  const output = server.output();
  expect(output).not.toMatch(/backup failed/);
  expect(output).toMatch(/old backup deleted/);
  const names = readdirSync(destination).sort();
  expect(names).toHaveLength(2);
  for (const name of names) {
    expect(name).toMatch(ARCHIVE_NAME);
    expect(statSync(join(destination, name)).size).toBeGreaterThan(0);
  }
  // A real archive: it restores into an empty folder.
  const restored = join(work, "restored");
  expect((await runLatchkey(["restore", join(destination, names[1]!)], onDisk(restored), work)).exitCode).toBe(0);
  expect(readdirSync(restored)).toContain("latchkey.db");
});

test.each([
  ["61 * * * *", "BACKUP_SCHEDULE: expected an interval such as 30m, 6h or 1d, or a cron expression"],
  ["* * *", "BACKUP_SCHEDULE: expected an interval such as 30m, 6h or 1d, or a cron expression"],
  ["0 0 31 2 *", "BACKUP_SCHEDULE: the cron expression \"0 0 31 2 *\" never comes round"],
  ["every day", "BACKUP_SCHEDULE: expected an interval"],
  ["0s", "BACKUP_SCHEDULE: expected an interval such as 30m, 6h or 1d, from 1 s"],
])("a bad BACKUP_SCHEDULE (%p) stops start-up with exit 2, naming it", async (schedule, message) => {
  const dataDir = mkdtempSync(join(work, "config-"));
  const result = await runLatchkey(["serve"], { ...onDisk(dataDir), PORT: "0", BACKUP_SCHEDULE: schedule, BACKUP_URL: "backups" }, dataDir);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain(message);
});

test("a cron BACKUP_SCHEDULE still needs BACKUP_URL", async () => {
  const dataDir = mkdtempSync(join(work, "config-"));
  const result = await runLatchkey(["serve"], { ...onDisk(dataDir), PORT: "0", BACKUP_SCHEDULE: "0 3 * * *" }, dataDir);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain("BACKUP_SCHEDULE: needs BACKUP_URL");
});
