// POST /storage/o/<key>: multipart field `file`, streamed to the blob store (never held whole in memory). A key
// ending in `/` is refused as HBP refuses it (storage-writes.ts). Its size was checked against MAX_UPLOAD_SIZE by the route's
// guard (guards.ts) when announced; as it arrives, by storage.upload.
import { bodyChunks } from "../../../http/unread-body.ts";
import type { FileMetadata } from "../../../storage/file-metadata.ts";
import type { HbpStorageContext } from "./context.ts";
import type { StorageRequest } from "./request.ts";

export async function uploadFile(ctx: HbpStorageContext, request: Request, { path, access }: StorageRequest): Promise<FileMetadata> {
  // Read without cancelling: if the upload is refused part-way, the rest is drained before the answer (unread-body.ts).
  const stream = request.body === null ? null : bodyChunks(request);
  return ctx.storage.upload(path, access, { contentType: request.headers.get("content-type"), stream });
}
