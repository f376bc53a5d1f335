// Storage access rules in HBP's rules.yaml form (spec/hbp.md §5), read once at start-up:
//
//   functions:                       # name: "return <expression>"  or  name: { params: [a, b], code: "return ..." }
//     isOwner: "return !!request.auth && userId === request.auth['user-id']"
//   paths:                           # Express-style patterns: `:param`, `*`; case-insensitive; trailing slash optional
//     /user/:userId/*:
//       read: "isOwner(userId) || validToken()"
//       write: "isOwner(userId)"
//
// A request is allowed if any rule of any matching path, for one of the keys that apply to the operation, is truthy
// (get: get|read, list: list|read, create: create|write, update: update|write, delete: delete|write). A matching
// path with none of those keys, or no matching path, is "no rule" (404), as HBP registers no route for it.
// Expressions see `request` {path, method, query, auth}, `resource`, the path parameters and the functions.
import { readFileSync } from "node:fs";
import { ConfigError } from "../../lib/errors.ts";
import {
  evaluate,
  mayReadProperty,
  parseExpression,
  RuleEvaluationError,
  type Node,
  type RuleFunction,
  type Scope,
  type Value,
  type Variables,
} from "./expression.ts";

export type Operation = "get" | "list" | "create" | "update" | "delete";

const RULE_KEYS = ["read", "write", "get", "list", "create", "update", "delete", "metadata"] as const;
type RuleKey = (typeof RULE_KEYS)[number];

const KEYS_OF: Record<Operation, RuleKey[]> = {
  get: ["get", "read"],
  list: ["list", "read"],
  create: ["create", "write"],
  update: ["update", "write"],
  delete: ["delete", "write"],
};

/** The caller's permission variables (`user-id`, `default-role`, ...), as rules read them in `request.auth`. */
export type RuleAuth = Record<string, string | string[]>;

export interface RuleRequest {
  /** `/` + the storage key, e.g. `/user/42/photo.jpg` or `/user/42/` for a folder. */
  path: string;
  method: string;
  query: Record<string, string>;
  /** undefined for an anonymous caller. */
  auth: RuleAuth | undefined;
}

/** `pending`: denied only because `resource` is not known yet (an upload before its bytes arrive). */
export type Decision = "allow" | "deny" | "no_rule" | "pending";

interface CompiledPath {
  pattern: string;
  regex: RegExp;
  params: string[];
  rules: Partial<Record<RuleKey, Node>>;
  /** The rules that apply to each operation (KEYS_OF), in that order: worked out once, not per request. */
  byOperation: Record<Operation, Node[]>;
  /** Whether one of an operation's rules is the literal `true`: the path allows it without evaluating anything. */
  allowsAll: Record<Operation, boolean>;
}

interface CompiledFunction {
  params: string[];
  body: Node;
}

export interface StorageRules {
  /**
   * Whether `request` may do `operation` to `resource`. With `resourcePending`, `resource` is not known yet: a
   * denial that read `resource` answers "pending" (decide again once it is known) instead of "deny".
   */
  decide(operation: Operation, request: RuleRequest, resource: Value, options?: { resourcePending?: boolean }): Decision;
  /**
   * Whether some rule or function could read `md5` (an upload's `resource.md5`). MD5 costs more CPU than receiving
   * and writing the bytes together (~1.5 s per GiB here, bench/README.md), so uploads compute it only then.
   */
  readsMd5: boolean;
}

/** The rules latchkey uses when STORAGE_RULES is not set (README "Storage"). */
export const DEFAULT_RULES = {
  functions: {
    isAuthenticated: "return !!request.auth",
    isOwner: "return !!request.auth && userId === request.auth['user-id']",
    // `!!request.query.token` first: with no token given, undefined === undefined must not grant anything.
    validToken: "return !!request.query.token && request.query.token === resource.Metadata.token",
  },
  paths: {
    "/user/:userId/*": {
      list: "isOwner(userId)",
      read: "isOwner(userId) || validToken()",
      write: "isOwner(userId)",
    },
    "/public/*": {
      read: "true",
      write: "isAuthenticated()",
    },
  },
};

/**
 * Express 4 (path-to-regexp 0.1) patterns: `:name` is one segment, `:name?` an optional one, `*` anything (also
 * slashes); matching ignores case and a trailing slash.
 */
export function compilePattern(pattern: string): { regex: RegExp; params: string[] } {
  if (!pattern.startsWith("/")) throw new Error("a path must start with /");
  const params: string[] = [];
  let source = "";
  const text = pattern.replace(/\/+$/, "");
  for (let index = 0; index < text.length; ) {
    const char = text[index]!;
    if (char === ":") {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index + 1))?.[0];
      if (!name) throw new Error(`":" must start a parameter name at character ${index + 1}`);
      index += 1 + name.length;
      params.push(name);
      if (text[index] === "?") {
        index++;
        // `/:name?` makes the slash optional too.
        if (source.endsWith("\\/")) source = `${source.slice(0, -2)}(?:\\/([^/]+?))?`;
        else source += "([^/]+?)?";
      } else {
        source += "([^/]+?)";
      }
    } else if (char === "*") {
      params.push(String(params.filter((param) => /^[0-9]+$/.test(param)).length));
      source += "(.*)";
      index++;
    } else {
      source += char.replace(/[.+?^${}()|[\]\\/]/g, "\\$&");
      index++;
    }
  }
  return { regex: new RegExp(`^${source}\\/?$`, "i"), params };
}

function functionBody(code: string): string {
  // HBP's functions are JavaScript bodies; latchkey's are one expression, written as `return <expression>`.
  const trimmed = code.trim().replace(/;\s*$/, "");
  const match = /^return\b([\s\S]*)$/.exec(trimmed);
  return (match ? match[1]! : trimmed).trim();
}

/** Compiles a rules document (already parsed from YAML or JSON); every problem is reported with where it is. */
export function compileRules(document: unknown, origin: string): StorageRules {
  const problems: string[] = [];
  const record = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (!record(document)) throw new ConfigError([`${origin}: expected a mapping with "functions" and "paths"`]);
  for (const key of Object.keys(document)) {
    if (key !== "functions" && key !== "paths") problems.push(`${origin}: unknown top-level key "${key}"`);
  }

  const functions = new Map<string, CompiledFunction>();
  const functionEntries = document.functions ?? {};
  if (!record(functionEntries)) problems.push(`${origin}: "functions" must be a mapping`);
  else {
    for (const [name, definition] of Object.entries(functionEntries)) {
      const where = `${origin}: function ${name}`;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === "__proto__" || name === "constructor") {
        problems.push(`${where}: not a valid name`);
        continue;
      }
      let code: unknown = definition;
      let params: unknown = [];
      if (record(definition)) {
        code = definition.code;
        params = definition.params ?? [];
      }
      if (typeof code !== "string") {
        problems.push(`${where}: expected a string or {params, code}`);
        continue;
      }
      if (!Array.isArray(params) || !params.every((param) => typeof param === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(param))) {
        problems.push(`${where}: params must be a list of names`);
        continue;
      }
      try {
        functions.set(name, { params: params as string[], body: parseExpression(functionBody(code)) });
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
      }
    }
  }

  const paths: CompiledPath[] = [];
  const pathEntries = document.paths ?? {};
  if (!record(pathEntries)) problems.push(`${origin}: "paths" must be a mapping`);
  else {
    for (const [pattern, entry] of Object.entries(pathEntries)) {
      const where = `${origin}: path ${pattern}`;
      if (!record(entry)) {
        problems.push(`${where}: expected a mapping of rules (read, write, ...)`);
        continue;
      }
      let compiled: { regex: RegExp; params: string[] };
      try {
        compiled = compilePattern(pattern);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
        continue;
      }
      const rules: Partial<Record<RuleKey, Node>> = {};
      for (const [key, expression] of Object.entries(entry)) {
        if (!(RULE_KEYS as readonly string[]).includes(key)) {
          problems.push(`${where}: unknown rule "${key}" (expected ${RULE_KEYS.join(", ")})`);
          continue;
        }
        const text = typeof expression === "boolean" ? String(expression) : expression;
        if (typeof text !== "string") {
          problems.push(`${where}: rule ${key} must be an expression string`);
          continue;
        }
        try {
          rules[key as RuleKey] = parseExpression(text);
        } catch (error) {
          problems.push(`${where}: rule ${key}: ${(error as Error).message}`);
        }
      }
      const byOperation = Object.fromEntries(
        (Object.keys(KEYS_OF) as Operation[]).map((operation) => [operation, KEYS_OF[operation].map((key) => rules[key]).filter((rule): rule is Node => rule !== undefined)]),
      ) as Record<Operation, Node[]>;
      // A path whose rule for an operation is the literal `true` (`/public/*: read: "true"`) allows at once: `true`
      // reads nothing and cannot fail, so making its variables was most of a public download's decision.
      const allowsAll = Object.fromEntries(
        (Object.keys(byOperation) as Operation[]).map((operation) => [operation, byOperation[operation].some((rule) => rule.type === "Literal" && rule.value === true)]),
      ) as Record<Operation, boolean>;
      paths.push({ pattern, ...compiled, rules, byOperation, allowsAll });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  function run(node: Node, scope: Scope): boolean {
    try {
      return Boolean(evaluate(node, scope));
    } catch (error) {
      if (error instanceof RuleEvaluationError) return false; // errors deny
      throw error;
    }
  }

  // Function bodies see their caller's variables plus their parameters, and no functions (HBP: they cannot call each
  // other). Made once: a call reads its caller's scope, so nothing is made per request but the parameters' layer.
  const noFunctions = new Map<string, RuleFunction>();
  const callable = new Map<string, RuleFunction>();
  for (const [name, fn] of functions) {
    callable.set(name, (args, caller) =>
      evaluate(fn.body, {
        variables: fn.params.length === 0 ? caller.variables : withParameters(caller.variables, fn.params, args),
        functions: noFunctions,
        onRead: caller.onRead,
      }),
    );
  }

  const expressions = [...paths.flatMap((path) => Object.values(path.rules).filter((rule): rule is Node => rule !== undefined)), ...[...functions.values()].map((fn) => fn.body)];
  return {
    readsMd5: expressions.some((expression) => mayReadProperty(expression, "md5")),

    decide(operation, request, resource, options) {
      let matched = false;
      let readResource = false;
      // Which variables a decision read matters only to one that may be pending (an upload before its bytes).
      const onRead = options?.resourcePending
        ? (name: string) => {
            if (name === "resource") readResource = true;
          }
        : undefined;
      let requestValue: Value | undefined;
      for (const path of paths) {
        const rules = path.byOperation[operation];
        if (rules.length === 0) continue;
        const match = path.regex.exec(request.path);
        if (!match) continue;
        matched = true;
        if (path.allowsAll[operation]) return "allow";
        // The caller's query as it is: nothing in a rule can change a value (no assignment), so no copy is made.
        requestValue ??= { path: request.path, method: request.method, query: request.query, auth: request.auth };
        const scope: Scope = { variables: new PathVariables(requestValue, resource, path.params, match), functions: callable, onRead };
        for (const rule of rules) if (run(rule, scope)) return "allow";
      }
      if (!matched) return "no_rule";
      return options?.resourcePending && readResource ? "pending" : "deny";
    },
  };
}

/**
 * A rule's variables: `request`, `resource` and the path's parameters, which hide those two if so named (the last of
 * a repeated name wins). One object a decision instead of a Map filled per request.
 */
class PathVariables implements Variables {
  constructor(
    private readonly request: Value,
    private readonly resource: Value,
    private readonly params: readonly string[],
    private readonly match: RegExpExecArray,
  ) {}

  has(name: string): boolean {
    return this.params.includes(name) || name === "request" || name === "resource";
  }

  get(name: string): Value {
    const index = this.params.lastIndexOf(name);
    if (index >= 0) return this.match[index + 1];
    if (name === "request") return this.request;
    if (name === "resource") return this.resource;
    return undefined;
  }
}

/** A function's parameters over its caller's variables (a parameter hides a variable of its name; the last of a repeated name wins). */
function withParameters(outer: Variables, params: readonly string[], args: Value[]): Variables {
  return {
    has: (name) => params.includes(name) || outer.has(name),
    get: (name) => {
      const index = params.lastIndexOf(name);
      return index >= 0 ? args[index] : outer.get(name);
    },
  };
}

/** STORAGE_RULES: a .yaml/.yml or .json file; null means the built-in DEFAULT_RULES. */
export function loadRules(file: string | null): StorageRules {
  if (file === null) return compileRules(DEFAULT_RULES, "built-in storage rules");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([`STORAGE_RULES: cannot read ${file}: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = /\.json$/i.test(file) ? JSON.parse(text) : Bun.YAML.parse(text);
  } catch (error) {
    throw new ConfigError([`STORAGE_RULES: ${file} is not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(error as Error).message}`]);
  }
  return compileRules(document, `STORAGE_RULES ${file}`);
}
