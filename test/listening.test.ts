// Where latchkey listens (issue 23, defect 4): a busy port stops start-up instead of being shared, and the start-up
// line names the address actually bound.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let first: TestServer;
beforeAll(async () => {
  first = await startServer();
});
afterAll(() => first.stop());

test("a second latchkey on a busy port stops with exit code 1 and a message naming the address", async () => {
  const port = new URL(first.url).port;
  let second: TestServer | undefined;
  let failure = "";
  try {
    second = await startServer({ PORT: port });
  } catch (error) {
    failure = (error as Error).message;
  }
  // Before the fix the listener used SO_REUSEPORT: the second server started and shared the port.
  await second?.stop();
  expect(second).toBeUndefined();
  expect(failure).toContain("did not start (exit 1)");
  expect(failure).toContain(`latchkey: cannot listen: 127.0.0.1:${port} is already in use`);
  // The first server still answers every request on its port.
  for (let i = 0; i < 5; i++) expect((await call(first.url, "GET", "/healthz")).body).toBe("OK");
});

test("the start-up line names the address bound: 0.0.0.0, not 127.0.0.1", async () => {
  const server = await startServer({ HOST: "0.0.0.0" });
  try {
    expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(server.output()).toContain(`listening on ${server.url} `);
    // On Linux a connection to 0.0.0.0 reaches the local host, so the line's URL stays usable.
    expect((await call(server.url, "GET", "/healthz")).body).toBe("OK");
  } finally {
    await server.stop();
  }
});
