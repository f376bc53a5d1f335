// Values that nobody may change once made (the configuration): frozen at run time, all the way down, and read-only
// in their type, so a write fails to compile and, from untyped code, throws (ES modules run in strict mode).

/** `T` with every property, array and nested object read-only. */
export type DeepReadonly<T> = T extends (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Freezes `value` and every object and array reachable from it; returns it, typed read-only. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value as DeepReadonly<T>;
}
