// The growing delays of core/throttling/guesses.ts, with a clock the test moves (latchkey in-process, app.handle): past
// RATE_LIMIT_DELAY_AFTER failures at an account, each try must come 1 s, 2 s, 4 s ... at most 60 s after the one
// before, or is refused with 429 and Retry-After; parallel tries cannot slip through together.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeClock, removeDataDir, startInProcess, type InProcess } from "./support/in-process.ts";

const clock = new FakeClock();
// Requests through app.handle have no client address: every try shares one (account, IP) pair, given room here.
const env = { RATE_LIMIT_DELAY_AFTER: "3", RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP: "1000", RATE_LIMIT_MAX_PER_ACCOUNT: "1000" };
let app: InProcess;

beforeAll(async () => {
  app = await startInProcess(env, { clock });
});
afterAll(async () => {
  await app.close();
  removeDataDir(app.dataDir);
});

const PASSWORD = "right-password";
const register = (email: string) => app.request("POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
const login = (email: string, password: string) => app.request("POST", "/auth/login", { json: { email, password, cookie: false } });

async function failures(email: string, count: number): Promise<void> {
  for (let attempt = 1; attempt <= count; attempt++) expect((await login(email, "wrong-password")).status).toBe(401);
}

describe("growing delays", () => {
  test("1 s, 2 s, 4 s ... after each failure, at most 60 s; a try after the wait is let through", async () => {
    const email = "delayed@example.com";
    expect((await register(email)).status).toBe(200);
    await failures(email, 3);
    const waits: number[] = [];
    for (let round = 0; round < 9; round++) {
      const early = await login(email, "wrong-password");
      expect(early.status).toBe(429);
      const wait = Number(early.headers.get("retry-after"));
      waits.push(wait);
      clock.advance(wait - 1);
      if (wait > 1) expect((await login(email, PASSWORD)).status).toBe(429); // still too soon, right password or not
      clock.advance(1);
      expect((await login(email, "wrong-password")).status).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  test("the owner, delayed along with the attacker, gets in after the wait, and the success clears the delays", async () => {
    const email = "owner@example.com";
    expect((await register(email)).status).toBe(200);
    await failures(email, 3);
    const early = await login(email, PASSWORD);
    expect(early.status).toBe(429);
    clock.advance(Number(early.headers.get("retry-after")));
    expect((await login(email, PASSWORD)).status).toBe(200);
    await failures(email, 3);
  });

  test("parallel tries past the threshold: one is let through, the others are refused and counted nowhere", async () => {
    const email = "parallel@example.com";
    expect((await register(email)).status).toBe(200);
    await failures(email, 3);
    clock.advance(1);
    const results = await Promise.all(Array.from({ length: 10 }, () => login(email, "wrong-password")));
    expect(results.map((res) => res.status).sort()).toEqual([401, ...Array(9).fill(429)]);
    // Four failures in all (the refused nine were given back): the next wait is 2 s, not 2^12.
    const next = await login(email, "wrong-password");
    expect(Number(next.headers.get("retry-after"))).toBe(2);
  });

  test("the delays are per account: another account answers at once", async () => {
    expect((await register("other@example.com")).status).toBe(200);
    await failures("other@example.com", 3);
    expect((await login("other@example.com", PASSWORD)).status).toBe(429);
    expect((await register("fresh@example.com")).status).toBe(200);
    expect((await login("fresh@example.com", PASSWORD)).status).toBe(200);
  });
});
