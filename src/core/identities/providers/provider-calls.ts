// What every built-in adapter does with its provider over HTTP: read the callback, exchange the code (through arctic),
// call the provider's user API. Anything the provider answers wrong becomes a ProviderError whose detail is safe to
// log: a status, an OAuth error code, a field name, never a token, a code or a body.
import { ArcticFetchError, OAuth2RequestError, UnexpectedErrorResponseBodyError, UnexpectedResponseError, type OAuth2Tokens } from "arctic";
import { ProviderError, type ProviderTokens } from "../provider.ts";

/**
 * How long one call to a provider may take. The person waits on the callback meanwhile; a provider that hangs must
 * not hold the request (and its flow state) for ever. arctic's own requests take no signal, so they are raced.
 */
export const PROVIDER_CALL_TIMEOUT_MS = 10_000;

/** Refusals a person makes at the provider (OAuth's `access_denied`, Apple's `user_cancelled_authorize`). */
const REFUSALS = new Set(["access_denied", "user_cancelled_authorize"]);

/** The authorization code of a callback; the provider's `error` answer as a ProviderError. */
export function callbackCode(params: Readonly<Record<string, string>>): string {
  const error = params.error;
  if (error !== undefined && error !== "") {
    throw new ProviderError(REFUSALS.has(error) ? "access_denied" : "provider_error", `the provider answered the callback with error=${safeWord(error)}`);
  }
  const code = params.code;
  if (code === undefined || code === "") throw new ProviderError("provider_error", "the callback has no code");
  return code;
}

/** Runs arctic's code exchange; its errors (and an answer without an access token) become ProviderErrors. */
export async function exchangeCode(exchange: () => Promise<OAuth2Tokens>): Promise<OAuth2Tokens> {
  let tokens: OAuth2Tokens;
  try {
    tokens = await withTimeout(exchange(), "the token endpoint");
  } catch (error) {
    throw exchangeError(error);
  }
  // GitHub answers a bad code with 200 and an `error` field; arctic's generic client reads that as tokens.
  const data = tokens.data as Record<string, unknown>;
  if (typeof data.error === "string") throw new ProviderError("provider_error", `the token endpoint answered error=${safeWord(data.error)}`);
  if (typeof data.access_token !== "string" || data.access_token === "") {
    throw new ProviderError("provider_error", "the token endpoint answered without an access_token");
  }
  return tokens;
}

/** The tokens latchkey may keep (only when a setting asks for it; core/identities/ decides). */
export function providerTokens(tokens: OAuth2Tokens): ProviderTokens {
  return { accessToken: tokens.accessToken(), refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : null };
}

/** GETs one of the provider's JSON APIs with the access token; anything but a 200 with a JSON object or array throws. */
export async function fetchProviderJson(url: string, accessToken: string, headers: Record<string, string> = {}): Promise<unknown> {
  const what = new URL(url).pathname;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Accept: "application/json", "User-Agent": "latchkey", ...headers, Authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(PROVIDER_CALL_TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    throw new ProviderError("provider_error", `${what}: ${error instanceof Error && error.name === "TimeoutError" ? "no answer in time" : "unreachable"}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new ProviderError("provider_error", `${what} answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ProviderError("provider_error", `${what} answered something that is not JSON`);
  }
  if (typeof body !== "object" || body === null) throw new ProviderError("provider_error", `${what} answered JSON that is not an object`);
  return body;
}

/** An object field of an answer, or {} when it is missing or not an object (callers then find their fields missing). */
export function objectField(value: unknown, name: string): Record<string, unknown> {
  const field = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  return typeof field === "object" && field !== null && !Array.isArray(field) ? (field as Record<string, unknown>) : {};
}

function exchangeError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof OAuth2RequestError) return new ProviderError("provider_error", `the token endpoint answered error=${safeWord(error.code)}`);
  if (error instanceof UnexpectedResponseError || error instanceof UnexpectedErrorResponseBodyError) {
    return new ProviderError("provider_error", `the token endpoint answered ${error.status} without a usable body`);
  }
  if (error instanceof ArcticFetchError) return new ProviderError("provider_error", "the token endpoint is unreachable");
  // A client secret arctic could not sign (Apple's key), or something else unforeseen: no message, it may quote input.
  return new ProviderError("provider_error", `the code exchange failed (${error instanceof Error ? error.name : "unknown error"})`);
}

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderError("provider_error", `${what}: no answer in time`)), PROVIDER_CALL_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error code as the provider spelled it, if it looks like one; anything else is not repeated into the log. */
function safeWord(value: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : "(unreadable)";
}
