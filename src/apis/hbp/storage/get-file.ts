// GET /storage/o/<key>: the file, or with any of w, h, q, f, r, b an image variant of it (made once on a worker,
// then served from the cache like a static file).
import { transformOfSearch } from "../../../storage/images/params.ts";
import type { HbpStorageContext } from "./context.ts";
import { fileResponse } from "./file-response.ts";
import type { StorageRequest } from "./request.ts";

export async function getFile(ctx: HbpStorageContext, request: Request, { path, search, access }: StorageRequest): Promise<Response> {
  // Parameters are checked before anything is read, so a bad one is a 400 whatever the file.
  const transform = search === "" ? null : transformOfSearch(search);
  const accept = request.headers.get("accept");
  if (transform) {
    const cached = await ctx.storage.cachedVariant(path.key, access, transform, accept);
    if (cached) {
      return fileResponse(request, cached.blob, {
        contentType: cached.variant.contentType,
        etag: cached.variant.etag,
        lastModifiedMs: cached.file.updatedAt,
        publicCache: cached.publicToQuery,
        vary: transform.format === "auto" ? "Accept" : undefined,
      });
    }
  }
  const opened = await ctx.storage.open(path.key, access);
  const { file, publicToQuery } = opened;
  if (!transform) {
    return fileResponse(request, opened.blob, {
      contentType: file.contentType,
      etag: file.etag,
      lastModifiedMs: file.updatedAt,
      publicCache: publicToQuery,
    });
  }
  const { variant, blob } = await ctx.storage.variant(opened, transform, accept);
  return fileResponse(request, blob, {
    contentType: variant.contentType,
    etag: variant.etag,
    lastModifiedMs: file.updatedAt,
    publicCache: publicToQuery,
    vary: transform.format === "auto" ? "Accept" : undefined,
  });
}
