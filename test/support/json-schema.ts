// Checks a JSON value against a JSON Schema of the OpenAPI document (test/fuzz.test.ts). The subset latchkey's
// schemas use (written with TypeBox, src/apis/route-docs.ts): $ref (to the document's components.schemas), type (one
// or several), const, enum, properties, required, additionalProperties, patternProperties, items, anyOf, oneOf, allOf,
// minLength/maxLength, minimum/maximum. Formats are not checked. Answers the first mismatches, each with where it is:
// `$.user.email: expected string`.

export type JsonSchema = Record<string, unknown>;

/** The document's components.schemas, which `$ref: "#/components/schemas/<name>"` names. */
export type Definitions = Record<string, JsonSchema>;

const MAX_REPORTED = 5;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/** The mismatches of `value` against `schema`; [] when it matches. */
export function schemaErrors(schema: JsonSchema, value: unknown, definitions: Definitions = {}, where = "$"): string[] {
  if (typeof schema.$ref === "string") {
    const target = definitions[schema.$ref.replace("#/components/schemas/", "")];
    return target ? schemaErrors(target, value, definitions, where) : [`${where}: ${schema.$ref} is not defined`];
  }
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${where}: ${message}`);

  if ("const" in schema && !Bun.deepEquals(value, schema.const)) fail(`expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => Bun.deepEquals(option, value))) fail(`expected one of ${JSON.stringify(schema.enum)}`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => hasType(value, type))) fail(`expected ${types.join(" or ")}, got ${typeOf(value)}`);
  }
  for (const [keyword, matches] of [["anyOf", (count: number) => count > 0], ["oneOf", (count: number) => count === 1]] as const) {
    const options = schema[keyword] as JsonSchema[] | undefined;
    if (!options) continue;
    const matching = options.filter((option) => schemaErrors(option, value, definitions, where).length === 0).length;
    if (!matches(matching)) {
      const closest = options.map((option) => schemaErrors(option, value, definitions, where)).sort((a, b) => a.length - b.length)[0] ?? [];
      fail(`matches ${matching} of the ${keyword} (closest: ${closest.slice(0, 2).join("; ")})`);
    }
  }
  for (const part of (schema.allOf as JsonSchema[] | undefined) ?? []) errors.push(...schemaErrors(part, value, definitions, where));

  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) fail(`longer than ${schema.maxLength}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) fail(`less than ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) fail(`more than ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, index) => errors.push(...schemaErrors(schema.items as JsonSchema, item, definitions, `${where}[${index}]`)));
  }
  if (typeOf(value) === "object") errors.push(...objectErrors(schema, value as Record<string, unknown>, definitions, where));
  return errors.slice(0, MAX_REPORTED);
}

function objectErrors(schema: JsonSchema, value: Record<string, unknown>, definitions: Definitions, where: string): string[] {
  const errors: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, JsonSchema>).map(([pattern, child]) => [new RegExp(pattern), child] as const);
  for (const name of (schema.required as string[] | undefined) ?? []) {
    if (!Object.hasOwn(value, name)) errors.push(`${where}: lacks "${name}"`);
  }
  for (const [name, child] of Object.entries(value)) {
    const at = `${where}.${name}`;
    if (Object.hasOwn(properties, name)) {
      errors.push(...schemaErrors(properties[name]!, child, definitions, at));
      continue;
    }
    const patterned = patterns.filter(([pattern]) => pattern.test(name));
    for (const [, patternSchema] of patterned) errors.push(...schemaErrors(patternSchema, child, definitions, at));
    if (patterned.length > 0) continue;
    if (schema.additionalProperties === false) errors.push(`${at}: not in the schema`);
    else if (typeof schema.additionalProperties === "object") errors.push(...schemaErrors(schema.additionalProperties as JsonSchema, child, definitions, at));
  }
  return errors;
}
