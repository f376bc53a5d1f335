// WolfPal's field rules (spec/wolfpal.md): bodies arrive urlencoded or as JSON, so every field is read as a string.
// A route's fields are one object (`{ email: rules.email }`): its handler checks the body with it, and its table
// documents the body with it (fieldsSchema), so the two cannot part ways.
import { t } from "elysia";
import { type FieldCode, WolfpalValidationError } from "./errors.ts";

/** The string fields of a parsed body; anything else (arrays, objects) counts as missing. */
export function stringFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (typeof body !== "object" || body === null) return fields;
  for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields[name] = value;
  return fields;
}

type Rule = (value: string) => [FieldCode, string] | null;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const rules = {
  username: ((value) => {
    if (value.length < 3 || value.length > 28) return ["NOT_LONG_ENOUGH", "Username must be between 3 and 28 characters."];
    if (!/^[A-Za-z0-9]+$/.test(value)) return ["INVALID_CHARACTERS", "Username can only contain letters and numbers."];
    return null;
  }) satisfies Rule,
  email: ((value) => (EMAIL.test(value) && value.length <= 254 ? null : ["INVALID", "Email is invalid."])) satisfies Rule,
  // WolfPal's lengths apply to passwords set through this API only (decision 5).
  password: ((value) => (value.length >= 8 && value.length <= 56 ? null : ["NOT_LONG_ENOUGH", "Password must be between 8 and 56 characters."])) satisfies Rule,
  present: (() => null) satisfies Rule,
};

/** What each field takes, for the OpenAPI document. */
const FIELD_DOCS: Record<string, string> = {
  username: "3 to 28 letters and digits",
  email: "An address",
  password: "8 to 56 characters",
  token: "The token the login answered",
  code: "A code from the authenticator app (or, to sign in, a backup code)",
  refresh_token: "The refresh token",
};

export type FieldRules<K extends string> = Record<K, Rule>;

/** The body a route's fields make: every field a string, required. Other fields are ignored. */
export function fieldsSchema(fieldRules: FieldRules<string>) {
  const fields = Object.fromEntries(Object.keys(fieldRules).map((name) => [name, t.String({ description: FIELD_DOCS[name] })]));
  return t.Object(fields, { additionalProperties: true });
}

const LABELS: Record<string, string> = {
  username: "Username",
  email: "Email",
  password: "Password",
  token: "Token",
  code: "Code",
  refresh_token: "Refresh token",
};

/** Checks the named fields; throws WolfPal's validation answer listing every failing field. */
export function validate<K extends string>(
  body: unknown,
  fieldRules: FieldRules<K>,
  options: { withCode?: boolean } = {},
): Record<K, string> {
  const fields = stringFields(body);
  const codes: Record<string, FieldCode> = {};
  const errors: Record<string, string> = {};
  for (const [name, rule] of Object.entries(fieldRules) as [K, Rule][]) {
    const value = fields[name]?.trim() === "" ? undefined : fields[name];
    const failure: [FieldCode, string] | null =
      value === undefined ? ["REQUIRED", `${LABELS[name] ?? name} is required.`] : value.length > 4096 ? ["INVALID", `${LABELS[name] ?? name} is too long.`] : rule(value);
    if (failure) [codes[name], errors[name]] = failure;
  }
  if (Object.keys(codes).length > 0) throw new WolfpalValidationError(codes, errors, options.withCode ?? false);
  return fields as Record<K, string>;
}
