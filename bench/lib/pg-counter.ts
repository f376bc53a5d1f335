// A TCP proxy in front of PostgreSQL that counts what latchkey asks of it, for bench/backends.ts's round trips per
// route. It reads the frontend's messages (client -> server) of the wire protocol and counts:
// - round trips: a Sync ('S', which ends an extended-protocol exchange and makes the server answer) or a simple
//   Query ('Q'); statements pipelined before one Sync are one round trip;
// - statements executed ('E') and statements parsed ('P'; a prepared statement reused is bound, not parsed again).
// Bytes are passed on untouched in both directions; the counting costs latency, so throughput is measured without it.

export interface PgCounts {
  roundTrips: number;
  executes: number;
  parses: number;
}

export interface PgCounter {
  /** host:port to give latchkey in place of PostgreSQL's. */
  port: number;
  counts(): PgCounts;
  stop(): void;
}

type Socket = import("bun").Socket<any>;

/** Writes all of `bytes`, keeping what the socket did not take for its drain (Bun's write() may take only part). */
class Writer {
  private queue: Uint8Array[] = [];
  constructor(private readonly socket: Socket) {}
  write(bytes: Uint8Array): void {
    if (this.queue.length > 0) {
      this.queue.push(new Uint8Array(bytes));
      return;
    }
    const written = this.socket.write(bytes);
    if (written < bytes.length) this.queue.push(new Uint8Array(bytes.subarray(Math.max(0, written))));
  }
  drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const written = this.socket.write(head);
      if (written < head.length) {
        this.queue[0] = head.subarray(Math.max(0, written));
        return;
      }
      this.queue.shift();
    }
  }
}

interface Side {
  upstream?: Writer;
  downstream?: Writer;
  pending: Uint8Array[];
  buffer: Uint8Array;
  close?: () => void;
  /** The startup packets (SSLRequest, StartupMessage) have no type byte. */
  startup: boolean;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/** `trace` receives each frontend message's type (and a Parse's or Query's SQL): to see what a route sends. */
export function startPgCounter(target: { host: string; port: number }, trace?: (type: string, sql?: string) => void): PgCounter {
  const counts: PgCounts = { roundTrips: 0, executes: 0, parses: 0 };
  const countFrontend = (side: Side, chunk: Uint8Array) => {
    const joined = new Uint8Array(side.buffer.length + chunk.length);
    joined.set(side.buffer);
    joined.set(chunk, side.buffer.length);
    const view = new DataView(joined.buffer);
    let at = 0;
    for (;;) {
      if (side.startup) {
        if (joined.length - at < 8) break;
        const length = view.getInt32(at);
        if (joined.length - at < length) break;
        const code = view.getInt32(at + 4);
        at += length;
        // After an SSL or GSS request the client sends its StartupMessage (also untyped); otherwise typed from here.
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) side.startup = false;
        continue;
      }
      if (joined.length - at < 5) break;
      const length = view.getInt32(at + 1);
      if (joined.length - at < 1 + length) break;
      const type = String.fromCharCode(joined[at]!);
      if (type === "S" || type === "Q") counts.roundTrips++;
      if (type === "E" || type === "Q") counts.executes++;
      if (type === "P") counts.parses++;
      if (trace) {
        // Parse: name\0 query\0 ...; Query: query\0.
        const body = joined.subarray(at + 5, at + 1 + length);
        const text = new TextDecoder().decode(body);
        trace(type, type === "P" ? text.split("\0")[1] : type === "Q" ? text.split("\0")[0] : undefined);
      }
      at += 1 + length;
    }
    side.buffer = joined.slice(at);
  };

  const listener = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        const side: Side = { pending: [], buffer: new Uint8Array(), startup: true };
        client.data = side;
        side.downstream = new Writer(client);
        const server = await Bun.connect({
          hostname: target.host,
          port: target.port,
          socket: {
            data: (_server, bytes) => side.downstream!.write(bytes),
            drain: () => side.upstream?.drain(),
            close: () => void client.end(),
            error: () => void client.end(),
          },
        });
        side.upstream = new Writer(server);
        side.close = () => void server.end();
        for (const bytes of side.pending) side.upstream.write(bytes);
        side.pending = [];
      },
      data(client, bytes) {
        const side = client.data;
        countFrontend(side, bytes);
        if (side.upstream) side.upstream.write(bytes);
        else side.pending.push(new Uint8Array(bytes));
      },
      drain: (client) => client.data?.downstream?.drain(),
      close: (client) => client.data?.close?.(),
      error: (client) => client.data?.close?.(),
    },
  });
  return { port: listener.port, counts: () => ({ ...counts }), stop: () => listener.stop(true) };
}
