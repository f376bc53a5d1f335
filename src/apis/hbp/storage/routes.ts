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
import { t } from "elysia";
import { edgeInput } from "../../../http/edge-input.ts";
import { dialect } from "../../dialect.ts";
import { json, media, noContent } from "../../route-docs.ts";
import { hbpStorageDoc as doc } from "../docs.ts";
import { featureDisabled } from "../errors.ts";
import type { HbpStorageContext } from "./context.ts";
import { deleteFile, resetToken } from "./delete-file.ts";
import { downloadFolder } from "./download-folder.ts";
import { hbpStorageErrorResponse } from "./errors.ts";
import { getFile } from "./get-file.ts";
import { fileMetadataSchema, getMetadata, listFolder } from "./get-metadata.ts";
import { storageGuards } from "./guards.ts";
import { revokeToken, revokeTokenBody } from "./revoke-token.ts";
import { uploadFile } from "./upload-file.ts";

/** The `*` of every route: the key, slashes included. */
const KEY = {
  name: "key",
  in: "path",
  required: true,
  description: "A file's key (`public/a.png`, `user/<id>/avatar.png`), or a folder's, ending in `/`: the rest of the path, slashes included.",
  schema: { type: "string" },
} as const;

/** Optional query parameters that storage reads from the URL itself (no Elysia schema: HBP's messages are its own). */
const optionalQuery = (name: string, description: string, schema: object) => ({ name, in: "query", required: false, description, schema });

/** The image transform of GET /storage/o/<key> (storage/images/params.ts), and the file's token. */
const downloadQuery = [
  optionalQuery("w", "Width in pixels, 0 to 8192 (0: follow the height)", { type: "integer", minimum: 0, maximum: 8192 }),
  optionalQuery("h", "Height in pixels, 0 to 8192", { type: "integer", minimum: 0, maximum: 8192 }),
  optionalQuery("q", "Quality, 1 to 100 (80)", { type: "integer", minimum: 1, maximum: 100 }),
  optionalQuery("f", "Format", { type: "string", enum: ["webp", "png", "jpeg", "auto"] }),
  optionalQuery("r", 'Corner radius in pixels, or "full" for a circle', { type: "string" }),
  optionalQuery("b", "Blur (sigma), 0.3 to 1000", { type: "number", minimum: 0.3, maximum: 1000 }),
  optionalQuery("token", "The file's token (its metadata's `Metadata.token`), where the rules allow it", { type: "string" }),
];

const FORBIDDEN = "The access rules (STORAGE_RULES) do not allow it to this caller; also where the file does not exist.";
const NOT_FOUND = "No such file (to a caller who may read it), no rule covers the path, or STORAGE_ENABLED=false.";
const BYTES = { type: "string", format: "binary" } as const;
const uploadBody = t.Object({ file: t.String({ format: "binary", description: "The file, with its Content-Type" }) }, { additionalProperties: false });

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
      detail: doc(
        "Upload a file (multipart field `file`)",
        {
          200: json(fileMetadataSchema, "Stored (or replaced): its metadata."),
          400: "No `file` field, several, or a body that is not multipart/form-data.",
          403: `${FORBIDDEN} Or the key ends in /.`,
          404: NOT_FOUND,
          409: "A file and a folder would have the same path.",
          413: "The file is larger than MAX_UPLOAD_SIZE.",
          502: "The file store (S3) refused the file or did not answer; nothing was kept.",
          507: "The server's storage is full; nothing was kept.",
        },
        { parameters: [KEY], requestBody: { required: true, content: { "multipart/form-data": { schema: uploadBody } } } },
      ),
    })
    // Handlers that do not plainly return a call are `async`: Elysia tells a handler that returns a promise by its text,
    // and would not catch that promise's rejection (a 500 instead of the error's own answer).
    .get(
      "/o/*",
      async ({ request, storageRequest }) =>
        storageRequest.path.isFolder ? downloadFolder(ctx, storageRequest) : getFile(ctx, request, storageRequest),
      {
        caller: "o",
        detail: doc.get(
          "Download a file (w, h, q, f, r, b transform images) or a folder as a zip",
          {
            200: media("*/*", "The file, with its own Content-Type; an image variant; or, for a folder, a zip of the files the caller may read.", BYTES),
            206: media("*/*", "The range asked for (Range: bytes=...).", BYTES),
            304: noContent("Not modified (If-None-Match, If-Modified-Since)."),
            400: "A transform parameter that is not allowed or out of range; an image that cannot be decoded or is too large; a folder too large for one zip.",
            403: FORBIDDEN,
            404: NOT_FOUND,
            415: "A transform of a file that is not a JPEG, PNG or WebP image.",
            416: noContent("The range cannot be met (Content-Range says the size)."),
            503: "Too many image transforms at once; retry shortly.",
          },
          { parameters: [KEY, ...downloadQuery] },
        ),
      },
    )
    .delete(
      "/o/*",
      async ({ storageRequest, set }) => {
        await deleteFile(ctx, storageRequest);
        set.status = 204;
      },
      {
        caller: "o",
        detail: doc("Delete a file", { 204: noContent("Deleted, with its image variants."), 403: FORBIDDEN, 404: NOT_FOUND }, { parameters: [KEY] }),
      },
    )
    .get(
      "/m/*",
      async ({ storageRequest }) => (storageRequest.path.isFolder ? listFolder(ctx, storageRequest) : getMetadata(ctx, storageRequest)),
      {
        caller: "m",
        detail: doc.get(
          "A file's metadata, or a folder's files' metadata",
          {
            200: json(t.Union([fileMetadataSchema, t.Array(fileMetadataSchema)]), "The file's metadata; for a folder, those of every file under it the caller may read."),
            403: FORBIDDEN,
            404: NOT_FOUND,
          },
          { parameters: [KEY] },
        ),
      },
    )
    .post("/m/*", ({ storageRequest }) => revokeToken(ctx, storageRequest), {
      parse: revokeTokenInput.parse,
      caller: "m",
      body: revokeTokenBody,
      detail: doc(
        "Revoke a file's token (x-admin-secret)",
        {
          200: json(fileMetadataSchema, "The file's metadata, with its new token."),
          400: 'The body is not {"action": "revoke-token"}.',
          403: "The x-admin-secret is missing or wrong.",
          404: `${NOT_FOUND} Or ADMIN_SECRET is not set.`,
          413: "The body is larger than 64 KiB.",
        },
        { parameters: [KEY] },
      ),
    })
    .delete(
      "/m/*",
      async ({ storageRequest, set }) => {
        await resetToken(ctx, storageRequest);
        set.status = 204;
      },
      {
        caller: "m",
        detail: doc("Give a file a new token", { 204: noContent("The old token no longer works."), 403: FORBIDDEN, 404: NOT_FOUND }, { parameters: [KEY] }),
      },
    );
}
