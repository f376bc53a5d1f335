// Ports for tests that need somewhere nothing listens (an SMTP server that cannot be reached, say).
import { createServer } from "node:net";

/** A loopback port nothing listens on: bound once by the system, then closed. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
