/** Comparing input values in a provider's diff. */

/** Equal as Pulumi stores them: the same JSON (absent and null alike). */
export const same = (a: unknown, b: unknown): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
