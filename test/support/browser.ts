// A browser as a sign-in flow sees one: a cookie jar and redirects followed by hand. Cookies are kept per host and
// port: the tests' OpenID Provider and latchkey both listen on 127.0.0.1, and a real browser would meet them at
// two sites. Path and expiry are honoured (a cookie set with Max-Age=0 or a past Expires goes); Domain, Secure and
// SameSite are not modelled. Every secret sent or received is remembered for the leak check (./secrets.ts).
import { rememberAnswerSecrets, rememberRequestSecrets } from "./secrets.ts";

interface StoredCookie {
  value: string;
  path: string;
}

export interface BrowserResponse {
  status: number;
  url: URL;
  /** The Location of a redirect, resolved against the request's URL; null for any other answer. */
  location: URL | null;
  headers: Headers;
  text: string;
}

export class Browser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** The value of a cookie this browser holds for `url`'s host (whatever its path), or undefined. */
  cookie(url: string | URL, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name)?.value;
  }

  /** Sets a cookie by hand (another browser's, a replayed one). */
  setCookie(url: string | URL, name: string, value: string, path = "/"): void {
    const host = new URL(url).host;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, { value, path });
  }

  /** One request, no redirect followed; cookies sent and stored as a browser would. */
  async request(
    url: string | URL,
    init: { method?: string; form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<BrowserResponse> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookies = [...(this.jar.get(target.host) ?? new Map<string, StoredCookie>())]
      .filter(([, cookie]) => target.pathname === cookie.path || target.pathname.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`))
      .map(([name, cookie]) => `${name}=${cookie.value}`);
    if (cookies.length > 0) headers.cookie = cookies.join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    rememberRequestSecrets(body, headers);
    const response = await fetch(target, { method: init.method ?? (body ? "POST" : "GET"), headers, body, redirect: "manual" });
    const text = await response.text();
    this.store(target, response.headers.getSetCookie());
    rememberAnswerSecrets(undefined, response.headers.getSetCookie());
    const location = response.headers.get("location");
    return { status: response.status, url: target, location: location === null ? null : new URL(location, target), headers: response.headers, text };
  }

  private store(target: URL, setCookies: string[]): void {
    if (!this.jar.has(target.host)) this.jar.set(target.host, new Map());
    const cookies = this.jar.get(target.host)!;
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(";").map((part) => part.trim());
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      const attribute = (key: string) => attributes.find((item) => item.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const maxAge = attribute("max-age");
      const expires = attribute("expires");
      const gone = value === "" || (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (gone) cookies.delete(name);
      else cookies.set(name, { value, path: attribute("path") ?? "/" });
    }
  }
}
