// `latchkey healthcheck [url]` (issue 25): the Docker image's HEALTHCHECK, with no curl in the image. Exit 0 only when
// GET /readyz answers 200; 1 when it answers 503 or nothing answers; 2 for bad usage. On both backends.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, TEST_BACKEND } from "./support/backend.ts";
import { closedPort } from "./support/ports.ts";
import { runLatchkey, startServer } from "./support/server.ts";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function folder(): string {
  const path = mkdtempSync(join(tmpdir(), "latchkey-healthcheck-"));
  folders.push(path);
  return path;
}

/** Run in `cwd` with DATA_DIR there (a server's own folder: on PostgreSQL + S3 each new folder gets a new database). */
const healthcheck = (cwd: string, env: Record<string, string>, ...args: string[]) =>
  runLatchkey(["healthcheck", ...args], { DATA_DIR: cwd, ...env }, cwd);

/** Takes the file store away from under a server, so /readyz answers 503 (as test/readiness.test.ts does). */
async function breakFileStore(dataDir: string): Promise<void> {
  if (TEST_BACKEND === "sqlite-disk") {
    const objects = join(dataDir, "storage", "objects");
    rmSync(objects, { recursive: true, force: true });
    writeFileSync(objects, "not a folder");
    return;
  }
  const url = new URL((await backendEnv(dataDir)).STORAGE_URL!);
  const response = await fetch(`${url.searchParams.get("endpoint")}/${url.hostname}`, { method: "DELETE" });
  expect(response.status).toBe(204);
}

test("ready: exit 0, asking this HOST and PORT on loopback (a wildcard HOST is reached on 127.0.0.1), or the URL given", async () => {
  const port = String(await closedPort());
  const dataDir = folder();
  const server = await startServer({ HOST: "0.0.0.0", PORT: port }, { dataDir });
  try {
    const byEnvironment = await healthcheck(dataDir, { PORT: port });
    expect(byEnvironment.exitCode).toBe(0);
    expect(byEnvironment.stdout).toContain(`ready: http://127.0.0.1:${port}/readyz`);
    const byUrl = await healthcheck(dataDir, {}, `http://127.0.0.1:${port}/`);
    expect(byUrl.exitCode).toBe(0);

    // Up but not ready (its file store gone): 1, with the answer.
    await breakFileStore(dataDir);
    const unready = await healthcheck(dataDir, { PORT: port });
    expect(unready.exitCode).toBe(1);
    expect(unready.stderr).toContain(`not ready: http://127.0.0.1:${port}/readyz answered 503`);
    expect(unready.stderr).toContain('"storage":"failed"');
  } finally {
    await server.stop();
  }
  // Nothing listening: 1.
  const down = await healthcheck(dataDir, { PORT: port });
  expect(down.exitCode).toBe(1);
  expect(down.stderr).toContain(`not ready: http://127.0.0.1:${port}/readyz`);
});

test("bad usage is exit 2: PORT=0 without a URL, a URL that is not http(s), two arguments", async () => {
  const cwd = folder();
  const portZero = await healthcheck(cwd, { PORT: "0" });
  expect(portZero.exitCode).toBe(2);
  expect(portZero.stderr).toContain("give the server's URL");
  expect((await healthcheck(cwd, {}, "ftp://127.0.0.1:3000")).exitCode).toBe(2);
  expect((await healthcheck(cwd, {}, "http://127.0.0.1:1", "extra")).exitCode).toBe(2);
});
