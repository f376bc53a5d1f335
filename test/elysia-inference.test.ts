// Elysia reads each hook's source to learn which parts of a request's context it uses, and merges what it learns
// into the whole app: one hook anywhere that takes the context whole and hands it to a function counts as using
// everything, and every route of every API then parses the request's cookies, copies its headers, parses its query
// and rebuilds its answer (a tenth of a public download's CPU, bench/README.md "Bytes paths"). With every API on,
// the app as a whole must use none of those: the routes that read them say so in their own handlers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { createLatchkey, type Latchkey } from "../src/server.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { TEST_JWT_KEY } from "./support/server.ts";

let dataDir: string;
let latchkey: Latchkey;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "latchkey-inference-"));
  const env = {
    DATA_DIR: dataDir,
    JWT_KEY: TEST_JWT_KEY,
    FAROE_CREDENTIAL,
    LNCRAWL_ENABLED: "true",
    WOLFPAL_ENABLED: "true",
    METRICS_ENABLED: "true",
    ADMIN_SECRET: "inference-admin-secret-0123456789",
  };
  latchkey = await createLatchkey(loadConfig(env), { logger: silentLogger });
});

afterAll(async () => {
  await latchkey.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("no hook makes every route read cookies, headers, query, body or the server", () => {
  const inference = (latchkey.app as unknown as { inference: Record<string, boolean> }).inference;
  expect({ cookie: inference.cookie, headers: inference.headers, query: inference.query, body: inference.body, server: inference.server }).toEqual({
    cookie: false,
    headers: false,
    query: false,
    body: false,
    server: false,
  });
});
