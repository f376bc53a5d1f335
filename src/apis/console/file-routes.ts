// The console's file routes, a slice of its API table (routes.ts): browse folders, storage usage, a file's content
// and thumbnail, delete a file, revoke its access token. Handlers: files.ts.
import { json, noContent } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";
import { CHANGES, consoleDoc as doc, SIGNED_IN } from "./docs.ts";
import {
  browseFolder,
  deleteFile,
  DOWNLOAD,
  downloadFile,
  fileAnswerSchema,
  fileBody,
  fileQuery,
  fileThumbnail,
  folderAnswerSchema,
  folderQuery,
  revokeFileToken,
  storageUsage,
  THUMBNAIL,
  thumbnailQuery,
  usageAnswerSchema,
} from "./files.ts";
import type { ConsoleApiApp } from "./routes.ts";

const FILE_NOT_FOUND = "file_not_found: no file with this key.";

/** /files (GET, DELETE), /files/usage, /files/content, /files/thumbnail, /files/token. */
export function fileRoutes(ctx: ConsoleContext) {
  return (app: ConsoleApiApp) =>
    app
.get("/files", ({ query }) => browseFolder(ctx, query), {
        console: "read",
        query: folderQuery,
        detail: doc.get("The subfolders and files directly in a folder, in key order, a page at a time", {
          200: json(folderAnswerSchema, "A page of entries and the cursor of the next."),
          ...SIGNED_IN,
          400: "invalid_path (the folder is not a key ending in /) or invalid_cursor.",
        }),
      })
      .get("/files/usage", () => storageUsage(ctx), {
        console: "read",
        detail: doc.get("Files and bytes stored under each top folder, and in all", { 200: json(usageAnswerSchema, "The figures."), ...SIGNED_IN }),
      })
      .get("/files/content", ({ query }) => downloadFile(ctx, query.key), {
        console: "read",
        query: fileQuery,
        detail: doc.get("Download a file (whatever the access rules say)", {
          200: DOWNLOAD,
          ...SIGNED_IN,
          400: "invalid_path: not a file's key.",
          404: FILE_NOT_FOUND,
        }),
      })
      .get("/files/thumbnail", ({ request, query }) => fileThumbnail(ctx, request, query), {
        console: "read",
        query: thumbnailQuery,
        detail: doc.get("A thumbnail of an image file: the `?w=` variant of HBP's storage, made once and kept in the transform cache", {
          200: THUMBNAIL,
          ...SIGNED_IN,
          400: "invalid_path: not a file's key.",
          404: FILE_NOT_FOUND,
          415: "unsupported_image: not a JPEG, PNG or WebP image.",
          422: "corrupt_image or image_too_large.",
          503: "transform_busy: every image worker is busy; Retry-After.",
        }),
      })
      .delete("/files", ({ actor, query }) => deleteFile(ctx, actor, query.key), {
        console: "change",
        query: fileQuery,
        detail: doc("Delete a file with its image variants", {
          200: json(fileAnswerSchema, "Deleted: what it was."),
          ...CHANGES,
          400: "invalid_path: not a file's key.",
          404: FILE_NOT_FOUND,
        }),
      })
      .post("/files/token", ({ actor, body }) => revokeFileToken(ctx, actor, body.key), {
        console: "change",
        body: fileBody,
        detail: doc("Give a file a new token: links with the old `?token=` stop working", {
          200: json(fileAnswerSchema, "The file (its new token is not shown: it grants the file)."),
          ...CHANGES,
          400: "invalid_path: not a file's key.",
          404: FILE_NOT_FOUND,
        }),
      });
}
