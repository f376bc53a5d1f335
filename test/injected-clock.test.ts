// Time comes from the clock latchkey is built with, in the dialects too (issue 24): HBP's session cookies expire
// by it, as the refresh tokens they carry do.
import { afterAll, expect, test } from "bun:test";
import { FakeClock, removeDataDir, startInProcess, type InProcess } from "./support/in-process.ts";

let app: InProcess | undefined;
afterAll(async () => {
  await app?.close();
  if (app) removeDataDir(app.dataDir);
});

test("HBP's cookies expire by latchkey's clock", async () => {
  const clock = new FakeClock(Date.UTC(2031, 0, 2, 3, 4, 5));
  app = await startInProcess({ JWT_REFRESH_EXPIRES_IN: "60" }, { clock });
  const res = await app.request("POST", "/auth/register", { json: { email: "clock@example.com", password: "clock-password" } });
  expect(res.status).toBe(200);
  const refresh = res.cookies.find((cookie) => cookie.startsWith("refresh_token="));
  expect(refresh).toContain("Max-Age=3600;");
  expect(refresh).toContain("Expires=Thu, 02 Jan 2031 04:04:05 GMT;");
});
