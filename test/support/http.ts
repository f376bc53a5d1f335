// Small HTTP helpers for black-box tests. Every secret sent or answered is remembered (./secrets.ts): no server's log
// may hold it.
import { rememberAnswerSecrets, rememberRequestSecrets } from "./secrets.ts";

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  cookies: string[];
}

export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: RequestInit["body"]; headers?: Record<string, string>; redirect?: RequestInit["redirect"] } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(options.json);
  }
  rememberRequestSecrets(typeof body === "string" ? body : undefined, headers);
  rememberQuerySecrets(path);
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: options.redirect ?? "manual" });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get("content-type")?.includes("json") && text !== "") parsed = JSON.parse(text);
  rememberAnswerSecrets(parsed, response.headers.getSetCookie());
  const location = response.headers.get("location");
  if (location !== null) rememberQuerySecrets(location);
  return { status: response.status, headers: response.headers, body: parsed as T, cookies: response.headers.getSetCookie() };
}

/** `name=value` pairs of Set-Cookie headers, ready for a Cookie header (cleared cookies left out). */
export function cookieHeader(setCookies: string[]): string {
  return setCookies
    .map((cookie) => cookie.split(";")[0]!)
    .filter((pair) => !pair.endsWith("="))
    .join("; ");
}

export function decodeJwtPayload(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
}

/** Secret query parameters (`?ticket=`, `?refresh_token=`, `?token=`) of a path or URL: secrets no log may hold. */
function rememberQuerySecrets(target: string): void {
  const query = target.indexOf("?");
  if (query === -1) return;
  const fields: Record<string, string> = {};
  try {
    for (const [key, value] of new URLSearchParams(target.slice(query + 1))) fields[key] = value;
  } catch {
    return;
  }
  rememberRequestSecrets(fields);
}
