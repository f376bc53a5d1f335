// POST /storage/o/<key>: multipart field `file`, streamed to the blob store (never held whole in memory). A key
// ending in `/` is refused as HBP refuses it (storage.ts).
import { bodyChunks } from "../../../http/unread-body.ts";
import { StorageError } from "../../../storage/errors.ts";
import { MULTIPART_OVERHEAD_BYTES, type FileMetadata } from "../../../storage/storage.ts";
import type { HbpStorageContext } from "./context.ts";
import { readStorageRequest } from "./request.ts";

export async function uploadFile(ctx: HbpStorageContext, request: Request): Promise<FileMetadata> {
  const maxBytes = ctx.config.storage.maxUploadBytes;
  // Refuse a body announced as too large before reading any of it.
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes + MULTIPART_OVERHEAD_BYTES) throw new StorageError("too_large", undefined, { maxBytes });
  const { path, access } = await readStorageRequest(ctx, request, "o");
  // Read without cancelling: if the upload is refused part-way, the rest is drained before the answer (unread-body.ts).
  const stream = request.body === null ? null : bodyChunks(request);
  return ctx.storage.upload(path, access, { contentType: request.headers.get("content-type"), stream });
}
