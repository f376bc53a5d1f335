// Storage's guards, as Elysia macros that a route names in its table (routes.ts), run in the order it lists them:
//   uploadLimit: true   an upload whose Content-Length is past MAX_UPLOAD_SIZE is refused (413) before any of it is
//                       read and before the caller is looked up
//   caller: "o" | "m"   the storage request (request.ts): the key after /storage/<area>/, and the caller: HBP's
//                       permission variables through the caller gate (or none), and any x-admin-secret. An anonymous
//                       caller gets through: the access rules (STORAGE_RULES) decide, and answer 403 or 404.
import { StorageError } from "../../../storage/errors.ts";
import { MULTIPART_OVERHEAD_BYTES } from "../../../storage/storage-writes.ts";
import { anyOf } from "../../security.ts";
import { HBP_CREDENTIALS } from "../guards.ts";
import type { HbpStorageContext } from "./context.ts";
import { readStorageRequest } from "./request.ts";

export function storageGuards(ctx: HbpStorageContext) {
  return {
    uploadLimit: (_: true) => ({
      resolve: ({ request }: { request: Request }) => {
        const maxBytes = ctx.config.storage.maxUploadBytes;
        const declared = Number(request.headers.get("content-length") ?? 0);
        if (declared > maxBytes + MULTIPART_OVERHEAD_BYTES) throw new StorageError("too_large", undefined, { maxBytes });
      },
    }),
    caller: (area: "o" | "m") => ({
      resolve: async ({ request }: { request: Request }) => ({ storageRequest: await readStorageRequest(ctx, request, area) }),
      // Any of HBP's credentials, the file's own token (`?token=`), the admin secret, or none: the rules decide.
      detail: { security: anyOf(...HBP_CREDENTIALS, ["fileToken"], ["adminSecret"], []) },
    }),
  };
}
