// SIGTERM stops latchkey cleanly, also while a client is still sending a request: requests under way get a few
// seconds to finish (src/server.ts), then their connections are closed. Before, one upload that never finished (a
// slow or stalled client) kept the server from ever stopping.
import { expect, test } from "bun:test";
import { connect } from "node:net";
import { call } from "./support/http.ts";
import { startServer } from "./support/server.ts";

test("SIGTERM during an upload that never finishes stops the server (exit 0)", async () => {
  const server = await startServer();
  const registered = await call<{ jwt_token: string }>(server.url, "POST", "/auth/register", {
    json: { email: "slow.uploader@example.com", password: "password-123", cookie: false },
  });
  expect(registered.status).toBe(200);
  const jwt = registered.body.jwt_token;

  // An allowed upload announced as 10 MB, of which only the first 64 KB ever come.
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  await new Promise((resolve) => socket.once("connect", resolve));
  const head = "--b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"slow.txt\"\r\n\r\n";
  socket.write(
    `POST /storage/o/public/slow.txt HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${jwt}\r\n` +
      `content-type: multipart/form-data; boundary=b\r\ncontent-length: 10000000\r\n\r\n${head}${"x".repeat(65536)}`,
  );
  socket.on("error", () => {}); // the server closes it when it stops
  // The upload is under way once its first bytes are staged.
  const deadline = Date.now() + 10_000;
  while (!(await stagedUpload(server.dataDir)) && Date.now() < deadline) await Bun.sleep(20);

  const stopped = await Promise.race([server.stop(), Bun.sleep(25_000).then(() => "still running")]);
  socket.destroy();
  expect(stopped).toBe(0);
});

/**
 * Whether the upload has begun writing: a file in storage/tmp. On S3 there is nothing to see here; the request's head
 * is sent either way, and a request under way is what a graceful stop waits for.
 */
async function stagedUpload(dataDir: string): Promise<boolean> {
  const { readdir } = await import("node:fs/promises");
  const staged = await readdir(`${dataDir}/storage/tmp`).catch(() => null);
  return staged === null ? true : staged.length > 0;
}
