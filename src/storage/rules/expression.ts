// Rule expressions (`isOwner(userId) || validToken()`), parsed by jsep into a tree and interpreted here over plain
// data. Threat: a rules file is configuration, but an expression that could reach `constructor`, a prototype or
// `Function` would let whoever writes it (or a value it reads, such as a JWT claim) run code in the server. So:
// no eval, no Function, no `this`, no assignment; a property is read only if it is an *own* property of a plain
// object or array (never __proto__, constructor or prototype); calls reach only the rules file's own functions
// and a short list of string/array methods implemented below. An error while evaluating (reading a property of
// undefined, an unknown name) makes the rule false: errors deny.
import jsep from "jsep";

export type Node = jsep.Expression;

/** Data a rule reads: JSON-like values only. */
export type Value = undefined | null | boolean | number | string | Value[] | { [key: string]: Value };

/** Variables by name: a Map, or a function's parameters over its caller's variables (rules.ts). */
export interface Variables {
  has(name: string): boolean;
  get(name: string): Value;
}

/** A rules file's function, called with its arguments and the scope of the rule that calls it. */
export type RuleFunction = (args: Value[], caller: Scope) => Value;

export interface Scope {
  /** Variables (request, resource, path parameters, function parameters). */
  variables: Variables;
  /** Functions callable from this scope by name (none inside a function body: functions do not call each other). */
  functions: Map<string, RuleFunction>;
  /** Told the name of every variable read (to learn whether a decision depended on `resource`). */
  onRead?: (name: string) => void;
}

export class RuleEvaluationError extends Error {}

const FORBIDDEN_NAMES = new Set(["__proto__", "constructor", "prototype", "__defineGetter__", "__lookupGetter__"]);
const MAX_EXPRESSION_LENGTH = 4096;
const MAX_DEPTH = 64;

const BINARY = new Set(["||", "&&", "??", "===", "!==", "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%"]);
const UNARY = new Set(["!", "-", "+"]);

/** Parses and checks an expression once, at start-up: anything outside the supported subset is refused then. */
export function parseExpression(source: string): Node {
  if (source.length > MAX_EXPRESSION_LENGTH) throw new Error(`longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const tree = jsep(source);
  check(tree, 0);
  return tree;
}

function check(node: Node, depth: number): void {
  if (depth > MAX_DEPTH) throw new Error("nested too deeply");
  const next = depth + 1;
  switch (node.type) {
    case "Literal":
      if (node.value instanceof RegExp) throw new Error("regular expressions are not supported");
      return;
    case "Identifier":
      if (FORBIDDEN_NAMES.has(node.name as string)) throw new Error(`"${node.name}" is not allowed`);
      return;
    case "MemberExpression":
      check(node.object as Node, next);
      if (node.computed) check(node.property as Node, next);
      else if (FORBIDDEN_NAMES.has((node.property as Node).name as string)) {
        throw new Error(`"${(node.property as Node).name}" is not allowed`);
      }
      return;
    case "CallExpression":
      check(node.callee as Node, next);
      for (const argument of node.arguments as Node[]) check(argument, next);
      if ((node.callee as Node).type !== "Identifier" && (node.callee as Node).type !== "MemberExpression") {
        throw new Error("only named functions and methods can be called");
      }
      return;
    case "UnaryExpression":
      if (!UNARY.has(node.operator as string)) throw new Error(`operator ${node.operator} is not supported`);
      check(node.argument as Node, next);
      return;
    case "BinaryExpression":
      if (!BINARY.has(node.operator as string)) throw new Error(`operator ${node.operator} is not supported`);
      check(node.left as Node, next);
      check(node.right as Node, next);
      return;
    case "ConditionalExpression":
      check(node.test as Node, next);
      check(node.consequent as Node, next);
      check(node.alternate as Node, next);
      return;
    case "ArrayExpression":
      for (const element of node.elements as (Node | null)[]) if (element) check(element, next);
      return;
    default:
      throw new Error(`${node.type} is not supported`);
  }
}

/**
 * Whether evaluating `node` could read a property called `name` of any value: a literal `.name` or `["name"]`, or a
 * computed `[...]` whose name is known only when it runs (conservatively yes). Nothing else reads properties: the
 * interpreter has no enumeration, spread or stringify. Lets the server skip work a rule can never look at
 * (the MD5 of an upload).
 */
export function mayReadProperty(node: Node, name: string): boolean {
  if (node.type === "MemberExpression") {
    const property = node.property as Node;
    if (!node.computed && property.name === name) return true;
    if (node.computed && (property.type !== "Literal" || property.value === name)) return true;
  }
  return childNodes(node).some((child) => mayReadProperty(child, name));
}

function childNodes(node: Node): Node[] {
  const children: Node[] = [];
  for (const value of Object.values(node)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === "object" && item !== null && typeof (item as Node).type === "string") children.push(item as Node);
    }
  }
  return children;
}

function isPlainObject(value: unknown): value is Record<string, Value> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isPrimitive(value: Value): value is undefined | null | boolean | number | string {
  return value === null || typeof value !== "object";
}

function fail(message: string): never {
  throw new RuleEvaluationError(message);
}

/** Own data properties only; `length` and indexes of strings and arrays. */
function readProperty(object: Value, name: Value): Value {
  if (object === undefined || object === null) fail(`cannot read "${String(name)}" of ${object}`);
  if (typeof name !== "string" && typeof name !== "number") fail("property names must be strings or numbers");
  const key = String(name);
  if (FORBIDDEN_NAMES.has(key)) fail(`"${key}" is not allowed`);
  if (typeof object === "string" || Array.isArray(object)) {
    if (key === "length") return object.length;
    if (/^(0|[1-9][0-9]*)$/.test(key)) return (object as Value[] | string)[Number(key)] as Value;
    return undefined;
  }
  if (isPlainObject(object)) {
    if (!Object.hasOwn(object, key)) return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    // Getters never run: only plain data is read.
    return descriptor && "value" in descriptor ? (descriptor.value as Value) : undefined;
  }
  return undefined;
}

const STRING_METHODS: Record<string, (target: string, args: Value[]) => Value> = {
  startsWith: (target, [prefix]) => typeof prefix === "string" && target.startsWith(prefix),
  endsWith: (target, [suffix]) => typeof suffix === "string" && target.endsWith(suffix),
  includes: (target, [part]) => typeof part === "string" && target.includes(part),
  indexOf: (target, [part]) => (typeof part === "string" ? target.indexOf(part) : -1),
  toLowerCase: (target) => target.toLowerCase(),
  toUpperCase: (target) => target.toUpperCase(),
  trim: (target) => target.trim(),
};

const ARRAY_METHODS: Record<string, (target: Value[], args: Value[]) => Value> = {
  includes: (target, [item]) => isPrimitive(item ?? null) && target.includes(item),
  indexOf: (target, [item]) => (isPrimitive(item ?? null) ? target.indexOf(item) : -1),
};

function callMethod(target: Value, name: string, args: Value[]): Value {
  if (typeof target === "string" && Object.hasOwn(STRING_METHODS, name)) return STRING_METHODS[name]!(target, args);
  if (Array.isArray(target) && Object.hasOwn(ARRAY_METHODS, name)) return ARRAY_METHODS[name]!(target, args);
  fail(`method ${name} is not available on ${target === null ? "null" : Array.isArray(target) ? "an array" : typeof target}`);
}

function arithmetic(operator: string, left: Value, right: Value): Value {
  if (!isPrimitive(left) || !isPrimitive(right)) fail(`operator ${operator} needs plain values`);
  const a = left as never;
  const b = right as never;
  switch (operator) {
    case "+":
      return (a as string) + (b as string);
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "%":
      return a % b;
    case "<":
      return a < b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
    case "==":
      return a == b;
    case "!=":
      return a != b;
  }
  fail(`operator ${operator} is not supported`);
}

/** Evaluates a checked tree. Throws RuleEvaluationError for anything the rule may not do. */
export function evaluate(node: Node, scope: Scope): Value {
  switch (node.type) {
    case "Literal":
      return node.value as Value;
    case "Identifier": {
      const name = node.name as string;
      scope.onRead?.(name);
      if (scope.variables.has(name)) return scope.variables.get(name);
      if (name === "undefined") return undefined;
      fail(`"${name}" is not defined`);
    }
    case "MemberExpression": {
      const object = evaluate(node.object as Node, scope);
      if (node.optional && (object === undefined || object === null)) return undefined;
      const property = node.computed ? evaluate(node.property as Node, scope) : ((node.property as Node).name as string);
      return readProperty(object, property);
    }
    case "CallExpression": {
      const callee = node.callee as Node;
      const args = (node.arguments as Node[]).map((argument) => evaluate(argument, scope));
      if (callee.type === "Identifier") {
        const fn = scope.functions.get(callee.name as string);
        if (!fn) fail(`function ${callee.name} is not defined`);
        return fn(args, scope);
      }
      const target = evaluate(callee.object as Node, scope);
      if (callee.optional && (target === undefined || target === null)) return undefined;
      const name = callee.computed ? evaluate(callee.property as Node, scope) : (callee.property as Node).name;
      if (typeof name !== "string") fail("method names must be strings");
      return callMethod(target, name, args);
    }
    case "UnaryExpression": {
      const value = evaluate(node.argument as Node, scope);
      if (node.operator === "!") return !value;
      if (!isPrimitive(value)) fail(`operator ${node.operator} needs a plain value`);
      return node.operator === "-" ? -(value as number) : +(value as number);
    }
    case "BinaryExpression": {
      const operator = node.operator as string;
      const left = evaluate(node.left as Node, scope);
      if (operator === "||") return left || evaluate(node.right as Node, scope);
      if (operator === "&&") return left && evaluate(node.right as Node, scope);
      if (operator === "??") return left ?? evaluate(node.right as Node, scope);
      const right = evaluate(node.right as Node, scope);
      if (operator === "===") return left === right;
      if (operator === "!==") return left !== right;
      return arithmetic(operator, left, right);
    }
    case "ConditionalExpression":
      return evaluate(node.test as Node, scope) ? evaluate(node.consequent as Node, scope) : evaluate(node.alternate as Node, scope);
    case "ArrayExpression":
      return (node.elements as (Node | null)[]).map((element) => (element ? evaluate(element, scope) : undefined));
  }
  fail(`${node.type} is not supported`);
}
