// Storage access rules: patterns, HBP's rules.yaml form, the built-in defaults, and the expression sandbox.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../src/lib/errors.ts";
import { evaluate, parseExpression } from "../src/storage/rules/expression.ts";
import { compilePattern, compileRules, DEFAULT_RULES, type Operation, type RuleRequest } from "../src/storage/rules/rules.ts";

const owner = { "user-id": "u1", "default-role": "user", "allowed-roles": ["user"] };
const other = { "user-id": "u2", "default-role": "user", "allowed-roles": ["user"] };
const resource = { key: "user/u1/a.png", Metadata: { token: "tok-1" } };

function request(path: string, auth: RuleRequest["auth"], query: Record<string, string> = {}): RuleRequest {
  return { path, method: "GET", query, auth };
}

describe("compilePattern (Express 4 style)", () => {
  const cases: [pattern: string, path: string, params: (string | undefined)[] | null][] = [
    ["/user/:userId/:fileId", "/user/u1/a.png", ["u1", "a.png"]],
    ["/user/:userId/:fileId", "/user/u1/sub/a.png", null],
    ["/user/:userId/", "/user/u1/", ["u1"]],
    ["/user/:userId/", "/user/u1", ["u1"]], // trailing slash optional
    ["/USER/:userId", "/user/u1", ["u1"]], // case-insensitive
    ["/user/:userId/*", "/user/u1/", ["u1", ""]],
    ["/user/:userId/*", "/user/u1/a/b/c.txt", ["u1", "a/b/c.txt"]],
    ["/public*", "/public/x", ["/x"]],
    ["/files/:name?", "/files", [undefined]],
    ["/files/:name?", "/files/x", ["x"]],
    ["/a.b", "/aXb", null], // dots are literal
  ];
  test.each(cases)("%p on %p", (pattern, path, params) => {
    const { regex } = compilePattern(pattern);
    const match = regex.exec(path);
    expect(match ? (match.slice(1) as (string | undefined)[]) : null).toEqual(params);
  });
});

describe("the built-in rules", () => {
  const rules = compileRules(DEFAULT_RULES, "defaults");
  const cases: [name: string, operation: Operation, req: RuleRequest, res: unknown, expected: string][] = [
    ["owner reads", "get", request("/user/u1/a.png", owner), resource, "allow"],
    ["other user reads", "get", request("/user/u1/a.png", other), resource, "deny"],
    ["anonymous reads", "get", request("/user/u1/a.png", undefined), resource, "deny"],
    ["anonymous with the token", "get", request("/user/u1/a.png", undefined, { token: "tok-1" }), resource, "allow"],
    ["anonymous with a wrong token", "get", request("/user/u1/a.png", undefined, { token: "tok-2" }), resource, "deny"],
    ["an empty token never matches a missing one", "get", request("/user/u1/a.png", undefined, { token: "" }), { Metadata: {} }, "deny"],
    ["owner writes", "create", request("/user/u1/a.png", owner), undefined, "allow"],
    ["other user writes", "create", request("/user/u1/a.png", other), undefined, "deny"],
    ["owner lists", "list", request("/user/u1/", owner), undefined, "allow"],
    ["other user lists", "list", request("/user/u1/", other), undefined, "deny"],
    ["a token does not list a folder", "list", request("/user/u1/", undefined, { token: "tok-1" }), undefined, "deny"],
    ["anyone reads public", "get", request("/public/a.png", undefined), resource, "allow"],
    ["anonymous cannot write public", "create", request("/public/a.png", undefined), undefined, "deny"],
    ["signed-in users write public", "update", request("/public/a.png", other), undefined, "allow"],
    ["no rule elsewhere", "get", request("/private/a.png", owner), resource, "no_rule"],
    ["no rule for the bare user folder", "get", request("/user/u1", owner), resource, "no_rule"],
  ];
  test.each(cases)("%s", (_name, operation, req, res, expected) => {
    expect(rules.decide(operation, req, res as never) as string).toBe(expected);
  });

  test("a decision that read the unknown resource is pending, not denied", () => {
    const custom = compileRules({ paths: { "/up/*": { create: "resource.size < 10", update: "request.auth['user-id'] === 'x'" } } }, "t");
    expect(custom.decide("create", request("/up/a", owner), undefined, { resourcePending: true })).toBe("pending");
    expect(custom.decide("create", request("/up/a", owner), { size: 5 })).toBe("allow");
    expect(custom.decide("create", request("/up/a", owner), { size: 50 })).toBe("deny");
    // Not reading `resource` at all: a plain denial, decided before any byte is read.
    expect(custom.decide("update", request("/up/a", owner), undefined, { resourcePending: true })).toBe("deny");
  });
});

describe("whether the rules could read an upload's MD5 (only then is it computed)", () => {
  const readsMd5 = (rule: string, functions: Record<string, unknown> = {}) => compileRules({ functions, paths: { "/x/*": { create: rule } } }, "t").readsMd5;
  test.each([
    ["resource.md5 === 'abc'", true],
    ["resource['md5'] === 'abc'", true],
    ["resource[fileName] === 'abc'", true], // a name known only at run time: maybe
    ["resource['m' + 'd5'] === 'abc'", true],
    ["resource.md5.startsWith('a')", true],
    ["resource.size < 10 && request.auth['user-id'] === 'u'", false],
    ["md5 === 'abc'", false], // a variable of that name is not a property read
  ])("%s: %p", (rule, expected) => {
    expect(readsMd5(rule)).toBe(expected);
  });
  test("through a function, and not for the built-in rules", () => {
    expect(readsMd5("check(resource)", { check: { params: ["file"], code: "return file.md5 === 'abc'" } })).toBe(true);
    expect(compileRules(DEFAULT_RULES, "defaults").readsMd5).toBe(false);
  });
});

describe("rules files", () => {
  test("functions with params, and rule keys per operation", () => {
    const rules = compileRules(
      {
        functions: { hasRole: { params: ["role"], code: "return request.auth['allowed-roles'].includes(role);" } },
        paths: { "/admin/*": { get: "hasRole('admin')", delete: "false" } },
      },
      "t",
    );
    expect(rules.decide("get", request("/admin/x", { "user-id": "a", "allowed-roles": ["admin"] }), {})).toBe("allow");
    expect(rules.decide("get", request("/admin/x", owner), {})).toBe("deny");
    expect(rules.decide("list", request("/admin/", owner), {})).toBe("no_rule"); // no list or read key
    expect(rules.decide("delete", request("/admin/x", owner), {})).toBe("deny");
  });

  test("a function's parameter hides a variable of its name, and the caller's other variables stay visible", () => {
    const rules = compileRules(
      {
        functions: { named: { params: ["userId"], code: "return userId === 'given' && request.path.startsWith('/u/' + other)" } },
        paths: { "/u/:other/:userId/*": { read: "named('given')", write: "named(userId)" } },
      },
      "t",
    );
    // The path's userId is "path"; the function sees its argument under that name, and the path's `other`.
    expect(rules.decide("get", request("/u/o/path/f", owner), {})).toBe("allow");
    expect(rules.decide("update", request("/u/o/path/f", owner), {})).toBe("deny");
    expect(rules.decide("update", request("/u/o/given/f", owner), {})).toBe("allow");
  });

  test("functions cannot call each other (HBP)", () => {
    const rules = compileRules({ functions: { a: "return true", b: "return a()" }, paths: { "/x/*": { read: "b()" } } }, "t");
    expect(rules.decide("get", request("/x/1", owner), {})).toBe("deny");
  });

  test("every problem is reported at once, as a ConfigError", () => {
    let error: unknown;
    try {
      compileRules(
        {
          functions: { ok: "return true", broken: "return (" },
          paths: { "/a/*": { read: "this.constructor", frobnicate: "true" }, noslash: { read: "true" } },
          extra: 1,
        },
        "rules.yaml",
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toContain('unknown top-level key "extra"');
    expect(problems).toContain("function broken");
    expect(problems).toContain("ThisExpression is not supported");
    expect(problems).toContain('unknown rule "frobnicate"');
    expect(problems).toContain("path noslash: a path must start with /");
  });
});

describe("the expression sandbox", () => {
  const scope = (variables: Record<string, unknown>) => ({
    variables: new Map(Object.entries(variables)) as never,
    functions: new Map(),
  });
  const run = (source: string, variables: Record<string, unknown> = {}) => evaluate(parseExpression(source), scope(variables));

  test("ordinary expressions", () => {
    expect(run("a.b === 'x' && n > 2 && [1, 2].includes(n - 1)", { a: { b: "x" }, n: 3 })).toBe(true);
    expect(run("s.startsWith('user/') ? s.length : -1", { s: "user/1" })).toBe(6);
    expect(run("a?.b?.c", { a: null })).toBeUndefined();
    expect(run("x ?? 'default'", { x: null })).toBe("default");
    expect(run("request.auth['user-id']", { request: { auth: { "user-id": "u1" } } })).toBe("u1");
  });

  test.each([
    "constructor",
    "a.constructor",
    "a['constructor']",
    "a.__proto__",
    "a['__pro' + 'to__']",
    "s.constructor.constructor('return process')()",
    "a.prototype",
  ])("refuses %p (at parse time or when run)", (source) => {
    let result: unknown;
    try {
      result = run(source, { a: {}, s: "x" });
    } catch {
      result = "refused";
    }
    expect(result).toBe("refused");
  });

  test("only own properties of plain data are read", () => {
    expect(run("a.toString", { a: {} })).toBeUndefined();
    expect(run("a.hasOwnProperty", { a: {} })).toBeUndefined();
    expect(() => run("a.toString()", { a: {} })).toThrow();
    expect(() => run("s.replace('a', 'b')", { s: "a" })).toThrow(); // not on the list of methods
    const withGetter = Object.defineProperty({}, "secret", { get: () => "ran", enumerable: true });
    expect(run("a.secret", { a: withGetter })).toBeUndefined(); // getters never run
    expect(run("d.x", { d: new Date() })).toBeUndefined(); // not a plain object
  });

  test.each(["a = 1", "a => a", "`x`", "new Function('x')", "/re/", "a++", "a, b", "this", "a | b"])("%p does not parse", (source) => {
    expect(() => parseExpression(source)).toThrow();
  });
});
