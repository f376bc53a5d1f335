// POST /storage/m/<key> {"action": "revoke-token"} with x-admin-secret: a new token for the file (HBP).
import { t } from "elysia";
import type { FileMetadata } from "../../../storage/file-metadata.ts";
import type { HbpStorageContext } from "./context.ts";
import type { StorageRequest } from "./request.ts";

export const revokeTokenBody = t.Object({ action: t.Literal("revoke-token") }, { additionalProperties: false });

export function revokeToken(ctx: HbpStorageContext, { path, access }: StorageRequest): Promise<FileMetadata> {
  return ctx.storage.revokeToken(path.key, access.caller);
}
