// DELETE /storage/o/<key>: removes the file, its row and its image variants (rule: delete|write).
// DELETE /storage/m/<key>: gives the file a new token, so links with the old `?token=` stop working.
import type { HbpStorageContext } from "./context.ts";
import type { StorageRequest } from "./request.ts";

export async function deleteFile(ctx: HbpStorageContext, { path, access }: StorageRequest): Promise<void> {
  await ctx.storage.delete(path.key, access);
}

export async function resetToken(ctx: HbpStorageContext, { path, access }: StorageRequest): Promise<void> {
  await ctx.storage.resetToken(path.key, access);
}
