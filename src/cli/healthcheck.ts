// `latchkey healthcheck [url]`: asks a running latchkey's GET /readyz and exits 0 when it is ready, 1 otherwise. For
// the Docker image's HEALTHCHECK and other supervisors on images that have no curl (distroless): the binary checks
// itself. Without a URL it asks the server this environment configures, on loopback (HOST and PORT).
import type { Config } from "../config.ts";

export const HEALTHCHECK_HELP = `latchkey healthcheck [url]         GET <url>/readyz (default: this HOST and PORT on loopback); exit 0 when
                                   ready (200), 1 when not or no answer within 5 s`;

const TIMEOUT_MS = 5_000;

/** Where the server these settings describe answers on this machine: a wildcard HOST is reached on loopback. */
export function localBaseUrl(server: Config["server"]): string | null {
  if (server.port === 0) return null;
  const host = server.host === "0.0.0.0" || server.host === "" ? "127.0.0.1" : server.host === "::" || server.host === "[::]" ? "[::1]" : server.host;
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${bracketed}:${server.port}`;
}

/** Runs the command; returns the process exit code. */
export async function healthcheckCommand(server: Config["server"], args: string[]): Promise<number> {
  if (args.length > 1 || (args[0] ?? "").startsWith("-")) {
    console.error(`latchkey: usage:\n${HEALTHCHECK_HELP}`);
    return 2;
  }
  const base = args[0] ?? localBaseUrl(server);
  if (base === null) {
    console.error("latchkey: PORT=0 picks a port at start-up: give the server's URL, `latchkey healthcheck http://127.0.0.1:<port>`");
    return 2;
  }
  if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
    console.error(`latchkey: healthcheck: "${base}" is not an http(s) URL`);
    return 2;
  }
  const url = `${base.replace(/\/+$/, "")}/readyz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
    const body = (await response.text()).slice(0, 300);
    if (response.status === 200) {
      console.log(`ready: ${url} ${body}`);
      return 0;
    }
    console.error(`not ready: ${url} answered ${response.status} ${body}`);
    return 1;
  } catch (error) {
    console.error(`not ready: ${url}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
