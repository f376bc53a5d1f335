// Reading a storage request: its storage path (from the raw URL, decoded once by parseStoragePath), its query,
// and the caller (permission variables as for /auth, through the same caller gate: a token of a deleted, disabled or
// inactive account counts as none, as a bad JWT does; plus any x-admin-secret).
import { parseStoragePath, type StoragePath } from "../../../storage/paths.ts";
import type { Access } from "../../../storage/storage.ts";
import { carriesCredential, permissionVariables } from "../request-auth.ts";
import type { HbpStorageContext } from "./context.ts";

export interface StorageRequest {
  path: StoragePath;
  query: URLSearchParams;
  access: Access;
}

/** `area` is "o" (objects) or "m" (metadata): the path is what follows `/storage/<area>/`, still percent-encoded. */
export async function readStorageRequest(ctx: HbpStorageContext, request: Request, area: "o" | "m"): Promise<StorageRequest> {
  const url = new URL(request.url);
  const prefix = `/storage/${area}/`;
  const path = parseStoragePath(url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : "");
  // No prototype: a parameter named __proto__ is just a parameter.
  const query: Record<string, string> = Object.create(null);
  if (url.search !== "") for (const [name, value] of url.searchParams) if (!Object.hasOwn(query, name)) query[name] = value;
  // Without a credential (a public download) the caller is anonymous, as permissionVariables would find after its
  // chain of awaits.
  const headers = request.headers;
  const auth = carriesCredential(headers) ? await permissionVariables(ctx, headers) : null;
  const adminSecret = request.headers.get("x-admin-secret");
  return {
    path,
    query: url.searchParams,
    access: {
      // The client's address only where the security log may need it (working it out is ~5% of a read).
      caller: { auth, adminSecret, ip: adminSecret === null ? null : ctx.clientOf(request).ip },
      method: request.method,
      query,
    },
  };
}
