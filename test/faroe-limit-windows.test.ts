// What needs time to pass, with a clock the test moves (latchkey in-process, app.handle): login failures per
// client IP told apart from the password-hashing limiter, windows that open again, 10-minute request expiries.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { purgeExpired } from "../src/core/housekeeping.ts";
import { openDatabase } from "../src/db/client.ts";
import { createHousekeepingRepository } from "../src/db/repositories/housekeeping.ts";
import { databaseLocation } from "./support/backend.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { FakeClock, removeDataDir, startInProcess, type InProcess } from "./support/in-process.ts";

const clock = new FakeClock();
const env = { FAROE_CREDENTIAL };
let app: InProcess;
let dataDir: string;

beforeAll(async () => {
  app = await startInProcess(env, { clock });
  dataDir = app.dataDir;
});
afterAll(() => {
  app.close();
  removeDataDir(dataDir);
});

function faroe(method: string, path: string, options: { json?: unknown; ip?: string } = {}) {
  const headers: Record<string, string> = { authorization: FAROE_CREDENTIAL };
  if (options.ip) headers["x-client-ip"] = options.ip;
  return app.request(`${method}`, `/faroe${path}`, { json: options.json, headers });
}

async function createUser(email: string): Promise<string> {
  const res = await faroe("POST", "/users", { json: { email, password: "password-123" } });
  expect(res.status).toBe(200);
  return res.body.id;
}

const login = (email: string, password: string, ip?: string) => faroe("POST", "/login/password", { json: { email, password }, ip });

describe("login failures per X-Client-IP", () => {
  test("5 failures from one client, on 5 different accounts, lock that client out for 15 minutes", async () => {
    const ip = "203.0.113.50";
    const emails = [1, 2, 3, 4, 5].map((n) => `spray-${n}@example.com`);
    for (const email of emails) await createUser(email);
    for (const email of emails) expect((await login(email, "wrong-password", ip)).body).toEqual({ error: "INCORRECT_PASSWORD" });
    // Past the password-hashing window (50 s): what refuses now is the login limiter alone.
    clock.advance(60);
    expect((await login(emails[0]!, "password-123", ip)).body).toEqual({ error: "TOO_MANY_REQUESTS" });
    // Each account has a single failure: from another client they sign in.
    expect((await login(emails[0]!, "password-123", "203.0.113.51")).status).toBe(200);

    // Still so after a restart; over once the window has passed.
    app.close();
    app = await startInProcess(env, { clock, dataDir });
    expect((await login(emails[1]!, "password-123", ip)).body).toEqual({ error: "TOO_MANY_REQUESTS" });
    clock.advance(15 * 60);
    expect((await login(emails[1]!, "password-123", ip)).status).toBe(200);
  });

  test("a success gives its try back: only failures count", async () => {
    const ip = "203.0.113.60";
    const email = "forgetful@example.com";
    await createUser(email);
    for (let attempt = 1; attempt <= 4; attempt++) expect((await login(email, "wrong-password", ip)).status).toBe(400);
    expect((await login(email, "password-123", ip)).status).toBe(200);
    clock.advance(60);
    // Without the give-back this 6th try would be refused.
    expect((await login(email, "wrong-password", ip)).body).toEqual({ error: "INCORRECT_PASSWORD" });
    expect((await login(email, "password-123", ip)).body).toEqual({ error: "TOO_MANY_REQUESTS" });
  });
});

describe("windows open again", () => {
  test("password hashing per client: 5 per 50 s", async () => {
    const ip = "198.51.100.70";
    await createUser("hash-window@example.com");
    for (let attempt = 1; attempt <= 5; attempt++) expect((await login("hash-window@example.com", "password-123", ip)).status).toBe(200);
    expect((await login("hash-window@example.com", "password-123", ip)).body).toEqual({ error: "TOO_MANY_REQUESTS" });
    clock.advance(51);
    expect((await login("hash-window@example.com", "password-123", ip)).status).toBe(200);
  });

  test("email-verification requests: 3 per 15 minutes per user", async () => {
    const id = await createUser("verification-window@example.com");
    const create = () => faroe("POST", `/users/${id}/email-verification`, { json: { email: "verification-window@example.com" } });
    for (let attempt = 1; attempt <= 3; attempt++) expect((await create()).status).toBe(200);
    expect((await create()).body).toEqual({ error: "TOO_MANY_REQUESTS" });
    clock.advance(15 * 60);
    expect((await create()).status).toBe(200);
  });
});

describe("requests live 10 minutes", () => {
  test("an expired email-verification request is gone: 404, INVALID_REQUEST_ID", async () => {
    const id = await createUser("expiring-verification@example.com");
    const request = (await faroe("POST", `/users/${id}/email-verification`, { json: { email: "expiring-verification@example.com" } })).body;
    clock.advance(9 * 60);
    expect((await faroe("GET", `/users/${id}/email-verification/${request.id}`)).status).toBe(200);
    clock.advance(61);
    expect((await faroe("GET", `/users/${id}/email-verification/${request.id}`)).status).toBe(404);
    const verify = await faroe("POST", `/users/${id}/verify-email`, { json: { request_id: request.id, code: request.code } });
    expect(verify.body).toEqual({ error: "INVALID_REQUEST_ID" });
  });

  test("an expired password-reset request is gone: 404, INVALID_REQUEST_ID", async () => {
    await createUser("expiring-reset@example.com");
    const request = (await faroe("POST", "/password-reset", { json: { email: "expiring-reset@example.com" } })).body;
    expect((await faroe("POST", `/password-reset/${request.id}/verify-email`, { json: { code: request.code } })).status).toBe(204);
    clock.advance(10 * 60);
    expect((await faroe("GET", `/password-reset/${request.id}`)).status).toBe(404);
    const reset = await faroe("POST", "/reset-password", { json: { request_id: request.id, password: "another-password" } });
    expect(reset.body).toEqual({ error: "INVALID_REQUEST_ID" });
  });

  test("housekeeping deletes expired requests nobody asked for again", async () => {
    const database = await openDatabase(databaseLocation(dataDir));
    try {
      const { challenges } = database.db.tables;
      const count = async () => (await database.db.select().from(challenges)).length;
      await purgeExpired({ rows: createHousekeepingRepository(database.db), clock }); // what earlier tests left behind
      const id = await createUser("forgotten@example.com");
      await faroe("POST", `/users/${id}/email-verification`, { json: { email: "forgotten@example.com" } });
      await faroe("POST", "/password-reset", { json: { email: "forgotten@example.com" } });
      expect(await count()).toBe(2);
      await purgeExpired({ rows: createHousekeepingRepository(database.db), clock });
      expect(await count()).toBe(2);
      clock.advance(10 * 60 + 1);
      await purgeExpired({ rows: createHousekeepingRepository(database.db), clock });
      expect(await count()).toBe(0);
    } finally {
      await database.close();
    }
  });
});
