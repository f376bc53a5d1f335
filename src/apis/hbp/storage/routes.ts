// Every HBP storage route (spec/hbp.md §5, seed 000 "Storage"), with its guards (guards.ts). Handlers live in files
// named after the action.
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
import { edgeInput } from "../../../http/edge-input.ts";
import { dialect } from "../../dialect.ts";
import { featureDisabled } from "../errors.ts";
import type { HbpStorageContext } from "./context.ts";
import { deleteFile, resetToken } from "./delete-file.ts";
import { downloadFolder } from "./download-folder.ts";
import { hbpStorageErrorResponse } from "./errors.ts";
import { getFile } from "./get-file.ts";
import { getMetadata, listFolder } from "./get-metadata.ts";
import { storageGuards } from "./guards.ts";
import { revokeToken, revokeTokenBody } from "./revoke-token.ts";
import { uploadFile } from "./upload-file.ts";

const tags = ["HBP storage"];

/** The revoke-token body is tiny: JSON of at most 64 KiB. Uploads stream their multipart body instead (upload-file.ts). */
const revokeTokenInput = edgeInput({ maxBytes: 64 * 1024, mediaTypes: ["json"] });

export function hbpStorageRoutes(ctx: HbpStorageContext) {
  return dialect({
    name: "api:hbp:storage",
    prefix: "/storage",
    // Each route chooses: an upload streams its body (upload-file.ts), revoke-token reads a small JSON one.
    body: null,
    errorResponse: (code, error) => hbpStorageErrorResponse(code, error, ctx.core.logger),
  })
    .onBeforeHandle(() => {
      if (!ctx.config.storage.enabled) throw featureDisabled("Storage", "STORAGE_ENABLED");
    })
    .macro(storageGuards(ctx))
    .post("/o/*", ({ request, storageRequest }) => uploadFile(ctx, request, storageRequest), {
      // The body is read as a stream by the handler (src/storage/multipart.ts), never buffered by the framework.
      parse: "none",
      uploadLimit: true,
      caller: "o",
      detail: { tags, summary: "Upload a file (multipart field `file`)" },
    })
    // Handlers that do not plainly return a call are `async`: Elysia tells a handler that returns a promise by its text,
    // and would not catch that promise's rejection (a 500 instead of the error's own answer).
    .get(
      "/o/*",
      async ({ request, storageRequest }) =>
        storageRequest.path.isFolder ? downloadFolder(ctx, storageRequest) : getFile(ctx, request, storageRequest),
      { caller: "o", detail: { tags, summary: "Download a file (w, h, q, f, r, b transform images) or a folder as a zip" } },
    )
    .delete(
      "/o/*",
      async ({ storageRequest, set }) => {
        await deleteFile(ctx, storageRequest);
        set.status = 204;
      },
      { caller: "o", detail: { tags, summary: "Delete a file" } },
    )
    .get(
      "/m/*",
      async ({ storageRequest }) => (storageRequest.path.isFolder ? listFolder(ctx, storageRequest) : getMetadata(ctx, storageRequest)),
      { caller: "m", detail: { tags, summary: "A file's metadata, or a folder's files' metadata" } },
    )
    .post("/m/*", ({ storageRequest }) => revokeToken(ctx, storageRequest), {
      parse: revokeTokenInput.parse,
      caller: "m",
      body: revokeTokenBody,
      detail: { tags, summary: "Revoke a file's token (x-admin-secret)" },
    })
    .delete(
      "/m/*",
      async ({ storageRequest, set }) => {
        await resetToken(ctx, storageRequest);
        set.status = 204;
      },
      { caller: "m", detail: { tags, summary: "Give a file a new token" } },
    );
}
