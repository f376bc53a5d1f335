// An upload whose body is sent in two goes over a plain socket: the request and the start of the file first, the
// rest only when the test says so. For what must happen while the server is in the middle of an upload (an account
// deleted between the upload's checks and its row being written).
import { connect, type Socket } from "node:net";

export interface HeldUpload {
  /** Sends the rest of the body; resolves to the answer. */
  finish(): Promise<{ status: number; body: string }>;
}

const BOUNDARY = "----latchkey-held-upload";

export async function holdUpload(
  baseUrl: string,
  key: string,
  headers: Record<string, string>,
  bytes: { first: Uint8Array; rest: Uint8Array },
): Promise<HeldUpload> {
  const { hostname, port } = new URL(baseUrl);
  const encoder = new TextEncoder();
  const opening = encoder.encode(
    `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="held.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
  );
  const closing = encoder.encode(`\r\n--${BOUNDARY}--\r\n`);
  const length = opening.length + bytes.first.length + bytes.rest.length + closing.length;
  const head = Object.entries({
    host: `${hostname}:${port}`,
    connection: "close",
    "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
    "content-length": String(length),
    ...headers,
  })
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n");

  const chunks: Buffer[] = [];
  let socket!: Socket;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    socket = connect(Number(port), hostname);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
  });
  const write = (data: Uint8Array | string) => new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  await write(`POST /storage/o/${key} HTTP/1.1\r\n${head}\r\n\r\n`);
  await write(opening);
  await write(bytes.first);
  return {
    async finish() {
      await write(bytes.rest);
      await write(closing);
      return answered;
    },
  };
}
