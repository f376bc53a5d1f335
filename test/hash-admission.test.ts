// Admission control in front of the password-hash pool (core/passwords/hash-admission.ts): while a few addresses
// flood the server with wrong passwords, each address has a small share of a bounded queue, the excess is refused at
// once (429 with Retry-After, in each API's own error format), and a right password from another address is served
// ahead of the flood's queued hashes. Outcomes and order are asserted, never durations.
//
// The hashes are made slow (ARGON2_MEMORY_KIB=65536, ARGON2_TIME_COST=12: about a second each) so that the
// flood's queued hashes are still waiting when the owner's login arrives, on any machine; the guess limits are
// raised so that this test is about CPU, not about guessing (they are tested in hbp-rate-limits.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call, type JsonResponse } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const QUEUE_MAX = 4;
const PER_CLIENT = 2;
const ENV = {
  TRUSTED_PROXIES: "127.0.0.1/8,::1",
  HASH_QUEUE_MAX: String(QUEUE_MAX),
  HASH_QUEUE_PER_CLIENT: String(PER_CLIENT),
  ARGON2_MEMORY_KIB: "65536",
  ARGON2_TIME_COST: "12",
  RATE_LIMIT_MAX_PER_IP: "100000",
  RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP: "100000",
  RATE_LIMIT_MAX_PER_ACCOUNT: "100000",
  RATE_LIMIT_DELAY_AFTER: "100000",
  LNCRAWL_ENABLED: "true",
  WOLFPAL_ENABLED: "true",
};
const FLOODERS = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
const PER_FLOODER = 10;
const OWNER_IP = "198.51.100.20";
const PASSWORD = "right-password-1";

/** Headers that make a request come from `ip`, through the trusted proxy on 127.0.0.1. */
const from = (ip: string) => ({ "x-forwarded-for": `${ip}, 127.0.0.1` });

interface Finished {
  who: string;
  res: JsonResponse;
}

/**
 * Sends PER_FLOODER wrong logins from each flooding address at once; when most were answered (the refusals come
 * back at once, the admitted ones wait for their hash), the owner's right login. Returns every answer in the order
 * it arrived.
 */
async function flood(login: (ip: string, password: string, index: number) => Promise<JsonResponse>): Promise<Finished[]> {
  const finished: Finished[] = [];
  const sent: Promise<void>[] = [];
  for (let index = 0; index < PER_FLOODER; index++) {
    for (const ip of FLOODERS) {
      sent.push(login(ip, `wrong-password-${index}`, index).then((res) => void finished.push({ who: ip, res })));
    }
  }
  // The queue holds at most QUEUE_MAX waiting plus the running hashes: the rest is answered before any hash ends.
  const refusedAtLeast = FLOODERS.length * PER_FLOODER - QUEUE_MAX - 4;
  while (finished.length < refusedAtLeast) await Bun.sleep(5);
  sent.push(login(OWNER_IP, PASSWORD, 0).then((res) => void finished.push({ who: "owner", res })));
  await Promise.all(sent);
  return finished;
}

function expectFairOutcome(finished: Finished[], refusedBody: unknown, ownerStatus = 200, wrongStatus = 401): void {
  const floods = finished.filter((entry) => entry.who !== "owner");
  const statuses = new Set(floods.map((entry) => entry.res.status));
  // Only wrong passwords and refusals: nothing failed.
  expect([...statuses].sort()).toEqual([wrongStatus, 429]);
  const refused = floods.filter((entry) => entry.res.status === 429);
  // Each address has PER_CLIENT places, the queue QUEUE_MAX: most of the burst is refused.
  expect(refused.length).toBeGreaterThanOrEqual(FLOODERS.length * PER_FLOODER - QUEUE_MAX - FLOODERS.length * 2);
  for (const entry of refused) {
    expect(entry.res.body).toEqual(refusedBody);
    expect(Number(entry.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Refused before its body was parsed, the body was still read: the connection is kept for the next try.
    expect(entry.res.headers.get("connection")).not.toBe("close");
  }
  // Every flooding address had some of its hashes admitted: the queue is shared, not taken by the first.
  for (const ip of FLOODERS) expect(floods.some((entry) => entry.who === ip && entry.res.status === wrongStatus)).toBe(true);
  const ownerAt = finished.findIndex((entry) => entry.who === "owner");
  expect(finished[ownerAt]!.res.status).toBe(ownerStatus);
  // The owner's hash went ahead of the flood's waiting ones: some of the flood's admitted tries end after it.
  const checkedAfterOwner = finished.slice(ownerAt + 1).filter((entry) => entry.res.status === wrongStatus);
  expect(checkedAfterOwner.length).toBeGreaterThanOrEqual(1);
}

describe("hash queue under a flood of wrong passwords", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(ENV);
    const res = await call(server.url, "POST", "/auth/register", { json: { email: "owner@example.com", password: PASSWORD } });
    expect(res.status).toBe(200);
  });
  afterAll(() => server.stop());

  test("HBP: the excess is refused at once with 429 and Retry-After; the owner from another address signs in ahead of the queue", async () => {
    const finished = await flood((ip, password, index) =>
      call(server.url, "POST", "/auth/login", {
        // The flood's accounts are unknown ones (the dummy hash: the same cost as a wrong password).
        json: { email: ip === OWNER_IP ? "owner@example.com" : `flood-${index}@example.com`, password, cookie: false },
        headers: from(ip),
      }),
    );
    expectFairOutcome(finished, { statusCode: 429, error: "Too Many Requests", message: "You are being rate limited." });
    const owner = finished.find((entry) => entry.who === "owner")!;
    expect(typeof owner.res.body.jwt_token).toBe("string");
  });

  test("lncrawl: the same queue, refusals in lncrawl's own error shape", async () => {
    const finished = await flood((ip, password) =>
      call(server.url, "POST", "/api/auth/login", {
        // The owner's account is tried by the flood too: the refusal is about CPU, not about the account.
        json: { email: "owner@example.com", password },
        headers: from(ip),
      }),
    );
    expectFairOutcome(finished, { error: "Too many requests", detail: null });
  });

  test("WolfPal: the same queue, refusals in WolfPal's own error shape", async () => {
    const finished = await flood((ip, password) =>
      call(server.url, "POST", "/wolfpal/auth/login", { json: { email: "owner@example.com", password }, headers: from(ip) }),
    );
    // WolfPal answers a wrong password 400 INVALID_CREDENTIALS.
    expectFairOutcome(finished, { code: "TOO_MANY_REQUESTS", error: "Too many requests; try again later." }, 200, 400);
  });

  test("after the flood, every address is served again (the queue drained, nothing left waiting)", async () => {
    const results = await Promise.all(
      [...FLOODERS, OWNER_IP].map((ip) =>
        call(server.url, "POST", "/auth/login", { json: { email: "owner@example.com", password: PASSWORD, cookie: false }, headers: from(ip) }),
      ),
    );
    expect(results.map((res) => res.status)).toEqual([200, 200, 200, 200]);
  });
});

describe("one address", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ...ENV, HASH_QUEUE_MAX: "64", HASH_QUEUE_PER_CLIENT: "1" });
  });
  afterAll(() => server.stop());

  test("more than HASH_QUEUE_PER_CLIENT of its hashes waiting are refused, another address's are not", async () => {
    const burst = Array.from({ length: 8 }, (_, index) =>
      call(server.url, "POST", "/auth/login", { json: { email: `solo-${index}@example.com`, password: "wrong-password", cookie: false }, headers: from("203.0.113.50") }),
    );
    const other = call(server.url, "POST", "/auth/login", { json: { email: "other@example.com", password: "wrong-password", cookie: false }, headers: from("203.0.113.51") });
    const statuses = (await Promise.all(burst)).map((res) => res.status);
    // The queue (64) has room: only the address's own share (running ones + 1 waiting) limits it.
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(8 - 4 - 1);
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(2);
    expect((await other).status).toBe(401);
  });

  test("a try without room is refused before its body is parsed: even a body that is not JSON gets the 429", async () => {
    const answered: number[] = [];
    const burst = Array.from({ length: 8 }, (_, index) =>
      call(server.url, "POST", "/auth/login", { json: { email: `early-${index}@example.com`, password: "wrong-password", cookie: false }, headers: from("203.0.113.60") }).then(
        (res) => void answered.push(res.status),
      ),
    );
    // The refusals come back at once; the admitted hashes (a few hundred ms each here) are still running.
    while (answered.filter((status) => status === 429).length < 3) await Bun.sleep(5);
    const malformed = await call(server.url, "POST", "/auth/login", {
      body: "{not json",
      headers: { ...from("203.0.113.60"), "content-type": "application/json" },
    });
    await Promise.all(burst);
    expect(malformed.status).toBe(429);
    expect(Number(malformed.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // From an address with room, the same body is what it is: not JSON.
    const elsewhere = await call(server.url, "POST", "/auth/login", { body: "{not json", headers: { ...from("203.0.113.61"), "content-type": "application/json" } });
    expect(elsewhere.status).toBe(400);
  });
});
