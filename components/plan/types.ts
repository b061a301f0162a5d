/** The plan's types live in `model/plan.ts`, where the Weave dialect can read them too. */
export type * from "../model/plan";
