// WolfPal's protected routes need a live session as well as a valid access token (src/apis/wolfpal/session.ts):
// a session past its end refuses its access tokens, even those that have not expired yet. With a clock the test
// moves (latchkey in-process): sessions of 1 minute (JWT_REFRESH_EXPIRES_IN=1), WolfPal's access tokens of 5.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FakeClock, removeDataDir, startInProcess, type InProcess } from "./support/in-process.ts";

const clock = new FakeClock();
let app: InProcess;

beforeAll(async () => {
  app = await startInProcess({ WOLFPAL_ENABLED: "true", JWT_REFRESH_EXPIRES_IN: "1" }, { clock });
});
afterAll(async () => {
  await app.close();
  removeDataDir(app.dataDir);
});

test("an access token of a session that has ended (its time is up) is refused, though the token itself is still valid", async () => {
  const credentials = { email: "expiring@example.com", password: "wolf-password" };
  expect((await app.request("POST", "/auth/register", { json: credentials })).status).toBe(200);
  const login = await app.request("POST", "/wolfpal/auth/login", { json: credentials });
  expect(login.status).toBe(200);
  const bearer = { authorization: `Bearer ${login.body.access_token}` };

  const during = await app.request("POST", "/wolfpal/account/two-factor", { headers: bearer });
  expect(during.status).toBe(200);
  expect(typeof during.body.secret).toBe("string");

  clock.advance(2 * 60); // past the session's minute, inside the access token's 5
  const after = await app.request("POST", "/wolfpal/account/two-factor", { headers: bearer });
  expect(after.status).toBe(401);
  expect(after.body).toMatchObject({ code: "UNAUTHORIZED" });
});
