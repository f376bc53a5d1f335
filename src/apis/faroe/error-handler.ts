// Turns anything a Faroe route throws into Faroe's shape. Bad input is never a 500; a 500 is logged with its cause.
import { ValidationError } from "elysia";
import { CoreError } from "../../core/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { badInputOf } from "../../http/bad-input.ts";
import { expected, FaroeError, faroeErrorBody, fromCoreError, notFound } from "./errors.ts";

export function faroeErrorResponse(code: string | number, error: unknown, logger: Logger): Response {
  const mapped = toFaroeError(code, error);
  if (!mapped) logger.error("unhandled error (faroe)", { kind: code, error });
  const status = mapped?.status ?? 500;
  return Response.json(faroeErrorBody(mapped?.code ?? "UNKNOWN_ERROR"), { status, headers: mapped?.headers });
}

function toFaroeError(code: string | number, error: unknown): FaroeError | null {
  if (error instanceof FaroeError) return error;
  // Elysia wraps what a hook throws while parsing in a ParseError.
  if (error instanceof Error && error.cause instanceof FaroeError) return error.cause;
  // Input refused at the edge (src/http): too large, too deep, not JSON, NUL or a lone surrogate. Faroe has one code.
  if (badInputOf(error)) return expected("INVALID_DATA");
  if (error instanceof CoreError) return fromCoreError(error);
  if (error instanceof ValidationError) return expected("INVALID_DATA");
  switch (code) {
    case "PARSE":
      return expected("INVALID_DATA");
    case "NOT_FOUND":
      return notFound();
  }
  return null;
}
