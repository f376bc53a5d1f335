// The client's IP address, for rate limits and session records. X-Forwarded-For is believed only when the
// connection comes from a configured trusted proxy; otherwise any client could pick the address it is limited by.
import { BlockList, isIP } from "node:net";

export type ClientIpResolver = (peer: string | null, forwardedFor: string | null) => string | null;

function normalise(address: string): string {
  // IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d.
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function clientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, prefix] = entry.split("/") as [string, string | undefined];
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? "ipv6" : "ipv4");
  };

  return (peer, forwardedFor) => {
    if (peer === null) return null;
    let client = normalise(peer);
    if (!forwardedFor || !isTrusted(client)) return client;
    // Walk the chain from the nearest hop outwards; the first address not of a trusted proxy is the client.
    const hops = forwardedFor.split(",").map((hop) => normalise(hop.trim()));
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index]!;
      if (isIP(hop) === 0) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}

/** The server facts a request handler sees: enough to ask for the peer's address. */
export interface PeerSource {
  requestIP(request: Request): { address: string } | null;
}

export type HttpClient = (request: Request) => { ip: string | null; userAgent: string | null };

/**
 * Who sent a request, for rate limits and session records: client IP (see above) and user agent. `peers` is the
 * listening server (src/server.ts hands in one that reads it when asked).
 */
export function httpClient(trustedProxies: readonly string[], peers: PeerSource): HttpClient {
  const clientIp = clientIpResolver(trustedProxies);
  // Worked out on first use: most requests (an authenticated read) never ask, and asking the server for the
  // peer's address is a measurable share of such a request (the figure: bench/README.md).
  return (request) => {
    let ip: string | null | undefined;
    return {
      get ip() {
        if (ip === undefined) ip = clientIp(peers.requestIP(request)?.address ?? null, request.headers.get("x-forwarded-for"));
        return ip;
      },
      get userAgent() {
        return request.headers.get("user-agent");
      },
    };
  };
}
