// GET /storage/m/<key>: a file's metadata (S3 HeadObject shape plus `key`).
// GET /storage/m/<folder>/: the metadata of every file under it the caller may read, as a JSON array streamed
// out as the rows are read (a folder of any size costs one page of rows in memory).
import { t } from "elysia";
import type { FileMetadata } from "../../../storage/file-metadata.ts";
import { integer, type Describes } from "../../route-docs.ts";
import type { HbpStorageContext } from "./context.ts";
import type { StorageRequest } from "./request.ts";

/** storage's FileMetadata as the answers carry it: S3's HeadObject fields, and the key. */
export const fileMetadataSchema = t.Object(
  {
    key: t.String(),
    AcceptRanges: t.Literal("bytes"),
    LastModified: t.String({ description: "An HTTP date" }),
    ContentLength: integer({ description: "Bytes" }),
    ETag: t.String({ description: 'The MD5 of the bytes, quoted: "<hex>"' }),
    ContentType: t.String(),
    Metadata: t.Object({ token: t.String({ description: "The file's token, for `?token=` where the rules allow it" }) }, { additionalProperties: false }),
  },
  { $id: "FileMetadata", additionalProperties: false },
);
true satisfies Describes<typeof fileMetadataSchema, FileMetadata>;

/** Characters of the listing gathered before they are handed on. */
const PIECE_CHARS = 64 * 1024;

export function getMetadata(ctx: HbpStorageContext, { path, access, unchecked }: StorageRequest): Promise<FileMetadata> {
  // A signed-in caller's account passes the caller gate in storage's read: its state comes with the file's row.
  return unchecked === null ? ctx.storage.metadata(path.key, access) : ctx.storage.metadata(path.key, access, unchecked);
}

export async function listFolder(ctx: HbpStorageContext, { path, access }: StorageRequest): Promise<Response> {
  const items = (await ctx.storage.list(path, access))[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let first = true;
  let done = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (done) return;
        // A piece of about PIECE_CHARS a pull, not one per file: a folder of 100,000 files is then ~300 pieces
        // through the stream instead of 100,000, each a promise, a chunk and a write.
        let text = "";
        while (text.length < PIECE_CHARS) {
          const next = await items.next();
          if (next.done) {
            done = true;
            text += first ? "[]" : "]";
            break;
          }
          text += `${first ? "[" : ","}${JSON.stringify(next.value)}`;
          first = false;
        }
        controller.enqueue(encoder.encode(text));
        if (done) controller.close();
      },
      async cancel() {
        await items.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
}
