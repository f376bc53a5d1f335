// Helpers for HBP storage tests: users, uploads, downloads, and looking at what the server left on disk and in the database.
import { queryDatabase } from "./backend.ts";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "bun:test";
import { call } from "./http.ts";

export interface TestUser {
  id: string;
  jwt: string;
  auth: Record<string, string>;
}

let counter = 0;

export async function newUser(url: string): Promise<TestUser> {
  const email = `storage${++counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  expect(res.status).toBe(200);
  return { id: res.body.user.id, jwt: res.body.jwt_token, auth: { authorization: `Bearer ${res.body.jwt_token}` } };
}

/** POST /storage/o/<key> with the bytes in the multipart field `file`. */
export async function upload(
  url: string,
  key: string,
  content: Uint8Array | string | Blob,
  options: { headers?: Record<string, string>; type?: string; filename?: string; field?: string } = {},
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  const blob = content instanceof Blob ? content : new Blob([content as Uint8Array<ArrayBuffer>], { type: options.type ?? "application/octet-stream" });
  form.append(options.field ?? "file", blob, options.filename ?? key.split("/").pop() ?? "file");
  const response = await fetch(`${url}/storage/o/${key}`, { method: "POST", body: form, headers: options.headers });
  const text = await response.text();
  return { status: response.status, body: text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text };
}

export async function download(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const response = await fetch(`${url}${path}`, { headers });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** Every file under a folder, as paths relative to it. */
export function filesUnder(folder: string): string[] {
  const found: string[] = [];
  const walk = (directory: string) => {
    let entries: string[];
    try {
      entries = readdirSync(directory);
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(directory, entry);
      if (statSync(full).isDirectory()) walk(full);
      else found.push(relative(folder, full));
    }
  };
  walk(folder);
  return found.sort();
}

/** The `files` rows of a server's database, read as a separate reader would (read-only). */
export async function fileRows(dataDir: string, key?: string): Promise<{ key: string; size: number; token: string; owner_id: string | null }[]> {
  const rows = await (key === undefined
    ? queryDatabase<{ key: string; size: number | string; token: string; owner_id: string | null }>(dataDir, "SELECT * FROM files ORDER BY key")
    : queryDatabase<{ key: string; size: number | string; token: string; owner_id: string | null }>(dataDir, "SELECT * FROM files WHERE key = ?", [key]));
  // PostgreSQL hands bigint columns back as text.
  return rows.map((row) => ({ ...row, size: Number(row.size) }));
}

/** Resident and peak memory of a process, in bytes (Linux /proc). */
export async function processMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

export async function sha256(bytes: Uint8Array | ReadableStream<Uint8Array>): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  if (bytes instanceof Uint8Array) hasher.update(bytes);
  else for await (const chunk of bytes) hasher.update(chunk);
  return hasher.digest("hex");
}
