// Turns anything a HBP route throws into HBP's error shape. Nothing escapes as a bare 500 with a stack.
import { ValidationError } from "elysia";
import { CoreError } from "../../core/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { badInputOf } from "../../http/bad-input.ts";
import { fromBadInput, fromCoreError, HbpError, hbpErrorBody, validationMessage } from "./errors.ts";

export function hbpErrorResponse(code: string | number, error: unknown, logger: Logger): Response {
  const mapped = toHbpError(code, error);
  if (!mapped) logger.error("unhandled error", { kind: code, error });
  const status = mapped?.status ?? 500;
  return Response.json(hbpErrorBody(status, mapped?.message), { status, headers: mapped?.headers });
}

function toHbpError(code: string | number, error: unknown): HbpError | null {
  if (error instanceof HbpError) return error;
  // Elysia wraps what a parse hook throws in a ParseError.
  if (error instanceof Error && error.cause instanceof HbpError) return error.cause;
  const badInput = badInputOf(error);
  if (badInput) return fromBadInput(badInput);
  if (error instanceof CoreError) return fromCoreError(error);
  if (error instanceof ValidationError) return new HbpError(400, validationMessage(error));
  switch (code) {
    case "PARSE":
      return new HbpError(400, "The request body is not valid JSON.");
    case "NOT_FOUND":
      return new HbpError(404);
    case "INVALID_COOKIE_SIGNATURE":
      return new HbpError(401, "Invalid cookie signature.");
  }
  return null;
}
