// The Files page's API: browse a folder (keyset pages), the storage used per top folder, a download, a thumbnail
// (the transform cache's `?w=` variant), a delete and a new token. Each is one call to storage's file administration
// (storage/file-administration.ts, handed in by server.ts as storage is to HBP's storage routes); each change is
// written to the audit log after it is done. No answer carries a file's token: it grants the file.
import { t } from "elysia";
import type { Actor } from "../../core/administration/audit-log.ts";
import type { AdministeredFile, FolderEntry } from "../../storage/file-administration.ts";
import { integer, type ResponseDoc } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";
import { NO_STORE } from "./errors.ts";
import { NEXT } from "./views.ts";

const KEY = t.String({ minLength: 1, maxLength: 1024, description: "A file's key, e.g. `public/cat.png`" });

export const folderQuery = t.Object(
  {
    folder: t.Optional(t.String({ maxLength: 1024, description: "A folder's key ending in `/` (`public/`); empty or absent: the top" })),
    after: t.Optional(t.String({ minLength: 1, maxLength: 4096, description: "The `next` of the page before" })),
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const fileQuery = t.Object({ key: KEY }, { additionalProperties: false });
export const thumbnailQuery = t.Object(
  { key: KEY, w: t.Optional(t.Integer({ minimum: 16, maximum: 1024, default: 160, description: "Width in pixels" })) },
  { additionalProperties: false },
);
export const fileBody = t.Object({ key: KEY }, { additionalProperties: false });

export const fileSchema = t.Object(
  {
    key: t.String(),
    size: integer({ description: "bytes" }),
    content_type: t.String(),
    etag: t.String(),
    owner_id: t.Nullable(t.String({ description: "the account that uploaded it" })),
    created_at: integer({ description: "first uploaded (epoch ms)" }),
    updated_at: integer({ description: "last written or given a new token (epoch ms)" }),
  },
  { $id: "ConsoleFile", additionalProperties: false },
);

const entrySchema = t.Union([
  t.Object({ kind: t.Literal("folder"), key: t.String({ description: "ends with /" }) }, { additionalProperties: false }),
  t.Object({ kind: t.Literal("file"), file: fileSchema }, { additionalProperties: false }),
]);

export const folderAnswerSchema = t.Object(
  { folder: t.String(), entries: t.Array(entrySchema), next: NEXT },
  { additionalProperties: false, description: "Subfolders and files directly in the folder, in key order" },
);

export const usageAnswerSchema = t.Object(
  {
    folders: t.Array(
      t.Object({ folder: t.String({ description: "a top folder (`public/`), or \"\" for files at the top" }), files: integer(), bytes: integer() }, { additionalProperties: false }),
    ),
    truncated: t.Boolean({ description: "true: more top folders than listed" }),
    total: t.Object({ files: integer(), bytes: integer() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const fileAnswerSchema = t.Object({ file: fileSchema }, { additionalProperties: false });

const binary = { type: "string", format: "binary" } as const;
export const DOWNLOAD: ResponseDoc = { description: "The file's bytes, as an attachment.", content: { "application/octet-stream": { schema: binary } } };
export const THUMBNAIL: ResponseDoc = {
  description: "The thumbnail, in the image's own format.",
  content: { "image/jpeg": { schema: binary }, "image/png": { schema: binary }, "image/webp": { schema: binary } },
};

function fileView(file: AdministeredFile): typeof fileSchema.static {
  return {
    key: file.key,
    size: file.ContentLength,
    content_type: file.ContentType,
    etag: file.ETag,
    owner_id: file.ownerId,
    created_at: file.createdAtMs,
    updated_at: Date.parse(file.LastModified),
  };
}

function entryView(entry: FolderEntry): typeof entrySchema.static {
  return entry.kind === "folder" ? { kind: "folder", key: entry.key } : { kind: "file", file: fileView(entry.file) };
}

/** What a file's bytes are answered with: never run or shown as a page of the console's origin. */
const BYTES_HEADERS = { ...NO_STORE, "content-security-policy": "default-src 'none'; sandbox" };

export async function browseFolder(ctx: ConsoleContext, query: typeof folderQuery.static): Promise<typeof folderAnswerSchema.static> {
  const folder = query.folder ?? "";
  const { entries, next } = await ctx.files.browse(folder, query.after ?? null, query.limit ?? 50);
  return { folder, entries: entries.map(entryView), next };
}

export async function storageUsage(ctx: ConsoleContext): Promise<typeof usageAnswerSchema.static> {
  return ctx.files.usage(200);
}

export async function downloadFile(ctx: ConsoleContext, key: string): Promise<Response> {
  const { file, blob } = await ctx.files.open(key);
  const name = key.slice(key.lastIndexOf("/") + 1);
  return new Response(await blob.body(), {
    headers: {
      ...BYTES_HEADERS,
      // Any type is sent as bytes to save: an HTML or SVG file must not open as a page of the console's origin.
      "content-type": "application/octet-stream",
      "content-length": String(file.ContentLength),
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
    },
  });
}

export async function fileThumbnail(ctx: ConsoleContext, request: Request, query: typeof thumbnailQuery.static): Promise<Response> {
  const { variant, blob } = await ctx.files.thumbnail(query.key, query.w ?? 160, request.headers.get("accept"));
  return new Response(await blob.body(), {
    headers: { ...BYTES_HEADERS, "content-type": variant.contentType, "content-length": String(blob.size), etag: variant.etag },
  });
}

export async function deleteFile(ctx: ConsoleContext, actor: Actor, key: string): Promise<typeof fileAnswerSchema.static> {
  const file = fileView(await ctx.files.delete(key));
  await ctx.core.administration.audit.record(actor, "file_deleted", `file:${key}`, { size: file.size, owner: file.owner_id });
  return { file };
}

export async function revokeFileToken(ctx: ConsoleContext, actor: Actor, key: string): Promise<typeof fileAnswerSchema.static> {
  const file = fileView(await ctx.files.revokeToken(key));
  await ctx.core.administration.audit.record(actor, "file_token_revoked", `file:${key}`);
  return { file };
}
