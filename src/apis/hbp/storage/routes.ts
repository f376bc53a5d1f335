// Every HBP storage route (spec/hbp.md §5, seed 000 "Storage"). Handlers live in files named after the action.
//
//   POST   /storage/o/<key>      upload (multipart field `file`; streamed, MAX_UPLOAD_SIZE)   rule create|write, update|write
//   GET    /storage/o/<key>      the file; with w, h, q, f, r, b an image variant            rule get|read
//   GET    /storage/o/<folder>/  zip of the folder                                           rule list|read, each file get|read
//   DELETE /storage/o/<key>      delete                                                       rule delete|write
//   GET    /storage/m/<key>      metadata                                                     rule get|read
//   GET    /storage/m/<folder>/  metadata of every file in the folder                        rule list|read, each file get|read
//   POST   /storage/m/<key>      {"action":"revoke-token"}                                    x-admin-secret only
//   DELETE /storage/m/<key>      new token                                                    rule delete|write
// Every route answers 404 "Storage is disabled; set STORAGE_ENABLED=true" when STORAGE_ENABLED=false.
import { Elysia } from "elysia";
import { checkTarget, edgeInput } from "../../../http/edge-input.ts";
import { featureDisabled } from "../errors.ts";
import type { HbpStorageContext } from "./context.ts";
import { deleteFile, resetToken } from "./delete-file.ts";
import { downloadFolder } from "./download-folder.ts";
import { hbpStorageErrorResponse } from "./errors.ts";
import { getFile } from "./get-file.ts";
import { getMetadata, listFolder } from "./get-metadata.ts";
import { readStorageRequest } from "./request.ts";
import { revokeToken, revokeTokenBody } from "./revoke-token.ts";
import { uploadFile } from "./upload-file.ts";

const tags = ["HBP storage"];

/** The revoke-token body is tiny: JSON of at most 64 KiB. Uploads stream their multipart body instead (upload-file.ts). */
const edge = edgeInput({ maxBytes: 64 * 1024, mediaTypes: ["json"] });

export function hbpStorageRoutes(ctx: HbpStorageContext) {
  const logger = ctx.core.logger;
  return new Elysia({ name: "api:hbp:storage", prefix: "/storage" })
    .onError(({ code, error }) => hbpStorageErrorResponse(code, error, logger))
    .onTransform(checkTarget)
    .onBeforeHandle(() => {
      if (!ctx.config.storage.enabled) throw featureDisabled("Storage", "STORAGE_ENABLED");
    })
    .post("/o/*", async ({ request }) => uploadFile(ctx, request), {
      // The body is read as a stream by the handler (src/storage/multipart.ts), never buffered by the framework.
      parse: "none",
      detail: { tags, summary: "Upload a file (multipart field `file`)" },
    })
    .get(
      "/o/*",
      async ({ request }) => {
        const storageRequest = await readStorageRequest(ctx, request, "o");
        return storageRequest.path.isFolder ? downloadFolder(ctx, storageRequest) : getFile(ctx, request, storageRequest);
      },
      { detail: { tags, summary: "Download a file (w, h, q, f, r, b transform images) or a folder as a zip" } },
    )
    .delete(
      "/o/*",
      async ({ request, set }) => {
        await deleteFile(ctx, await readStorageRequest(ctx, request, "o"));
        set.status = 204;
      },
      { detail: { tags, summary: "Delete a file" } },
    )
    .get(
      "/m/*",
      async ({ request }) => {
        const storageRequest = await readStorageRequest(ctx, request, "m");
        return storageRequest.path.isFolder ? listFolder(ctx, storageRequest) : getMetadata(ctx, storageRequest);
      },
      { detail: { tags, summary: "A file's metadata, or a folder's files' metadata" } },
    )
    .post("/m/*", async ({ request }) => revokeToken(ctx, await readStorageRequest(ctx, request, "m")), {
      body: revokeTokenBody,
      parse: edge.parse,
      detail: { tags, summary: "Revoke a file's token (x-admin-secret)" },
    })
    .delete(
      "/m/*",
      async ({ request, set }) => {
        await resetToken(ctx, await readStorageRequest(ctx, request, "m"));
        set.status = 204;
      },
      { detail: { tags, summary: "Give a file a new token" } },
    );
}
