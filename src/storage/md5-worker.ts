// Entry point of the upload-hashing thread (md5.ts starts it): the MD5 of each upload, fed in order, by stream id.
import { createHash, type Hash } from "node:crypto";
import type { Md5Reply, Md5Request } from "./md5.ts";

declare const self: Worker;

const hashes = new Map<number, Hash>();

self.onmessage = (event: MessageEvent<Md5Request>) => {
  const request = event.data;
  if (request.type === "update") {
    let hash = hashes.get(request.id);
    if (!hash) hashes.set(request.id, (hash = createHash("md5")));
    hash.update(request.bytes);
    // The piece goes back to be filled again: no new buffer per piece on either side.
    self.postMessage({ type: "hashed", id: request.id, bytes: request.bytes } satisfies Md5Reply, [request.bytes.buffer]);
  } else if (request.type === "digest") {
    const hex = (hashes.get(request.id) ?? createHash("md5")).digest("hex");
    hashes.delete(request.id);
    self.postMessage({ type: "digest", id: request.id, hex } satisfies Md5Reply);
  } else {
    hashes.delete(request.id);
  }
};
