/**
 * Values Pulumi does not know yet. In a preview the engine hands providers' `check` and `diff`
 * its placeholder wherever an input depends on a resource not created yet (a local lab's host
 * keys and SSH ports, a relaunched router's container id), at any depth: a whole field, one
 * element of a list, one key of a connection. Such a value is "known after apply", never a
 * failure: checks skip it, diffs say the field may change.
 *
 * The placeholder is spelled out instead of imported so this module, which the serialised
 * providers use, needs nothing from `@pulumi/pulumi` (it equals `pulumi.runtime.unknownValue`;
 * a unit test pins that).
 */
import type { Input } from "@pulumi/pulumi"; // a type only: erased when compiled

/** Pulumi's placeholder for a value known only after apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` itself is the placeholder. */
export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** True when the placeholder occurs anywhere in `v` (objects and arrays, any depth). */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** A plain object (not an array, not the placeholder, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * `T` with any part, at any depth, allowed to be a Pulumi Input: what a dynamic resource accepts
 * (Pulumi resolves nested Outputs before the provider sees the inputs).
 */
export type DeepInput<T> = T extends readonly (infer U)[]
  ? Input<DeepInput<U>[]>
  : T extends object
    ? Input<{ [K in keyof T]: DeepInput<T[K]> }>
    : Input<T>;
