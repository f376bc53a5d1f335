// GET /storage/o/<folder>/: a zip of every file under the folder the caller may read, streamed as it is made.
import type { HbpStorageContext } from "./context.ts";
import type { StorageRequest } from "./request.ts";

export async function downloadFolder(ctx: HbpStorageContext, { path, access }: StorageRequest): Promise<Response> {
  const zip = await ctx.storage.zip(path, access);
  return new Response(zip, {
    headers: {
      "content-type": "application/zip",
      "content-disposition": 'attachment; filename="list.zip"',
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
