// Helpers for black-box tests of the Faroe dialect: a server with a credential, calls that carry it, TOTP keys.
import { Secret } from "otpauth";
import { call, type JsonResponse } from "./http.ts";
import { startServer, type StartOptions, type TestServer } from "./server.ts";
import { totpCode } from "./totp.ts";

export const FAROE_CREDENTIAL = "faroe-test-credential-0123456789";

/** Faroe's id format: 24 characters of its lower-case alphabet, without l, o, 0 and 1. */
export const FAROE_ID = /^[a-km-np-z2-9]{24}$/;
/** Faroe's code format (verification, reset and recovery codes): 8 of its upper-case alphabet, without I, O, 0 and 1. */
export const FAROE_CODE = /^[A-HJ-NP-Z2-9]{8}$/;

export function startFaroeServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  return startServer({ FAROE_CREDENTIAL, ...env }, options);
}

export interface FaroeCallOptions {
  json?: unknown;
  /** Sent as X-Client-IP. */
  ip?: string;
  headers?: Record<string, string>;
  /** Leave the credential out (or send another one through `headers`). */
  anonymous?: boolean;
}

export type FaroeCaller = <T = any>(method: string, path: string, options?: FaroeCallOptions) => Promise<JsonResponse<T>>;

/** Calls `${prefix}${path}` with the credential in Authorization. */
export function faroeCaller(server: TestServer, prefix = "/faroe"): FaroeCaller {
  return (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (!options.anonymous) headers.authorization = FAROE_CREDENTIAL;
    if (options.ip) headers["x-client-ip"] = options.ip;
    return call(server.url, method, `${prefix}${path}`, { json: options.json, headers: { ...headers, ...options.headers } });
  };
}

export function uniqueEmail(tag: string): string {
  return `${tag}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

/** A user made through Faroe; the password is `password-123`. */
export async function createFaroeUser(faroe: FaroeCaller, tag = "user"): Promise<{ id: string; email: string; password: string }> {
  const email = uniqueEmail(tag);
  const password = "password-123";
  const res = await faroe("POST", "/users", { json: { email, password } });
  if (res.status !== 200) throw new Error(`creating ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, email, password };
}

/** A fresh 20-byte TOTP key, base64 as Faroe takes it. */
export function newTotpKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString("base64");
}

/** The code an authenticator app shows for a base64 key (`stepOffset` -1: the previous 30 s step). */
export function codeForKey(base64Key: string, stepOffset = 0): string {
  return totpCode(new Secret({ buffer: Uint8Array.from(Buffer.from(base64Key, "base64")).buffer }).base32, stepOffset);
}

/** A code that is wrong for the key now and one step ago. */
export function wrongCodeForKey(base64Key: string): string {
  const right = new Set([codeForKey(base64Key), codeForKey(base64Key, -1)]);
  for (const candidate of ["000000", "111111", "222222"]) if (!right.has(candidate)) return candidate;
  throw new Error("unreachable");
}
