/** The data-plane matrix lives in `providers/dataplane-matrix.ts`; this re-export serves the files still importing it here. */
export * from "../providers/dataplane-matrix";
