/**
 * The Weave dialect: argv builders (`commands.ts`) and everything that reads what Weave says —
 * status/report/ps/dns/version parsers, the error classifier, the Docker compatibility check
 * and the consensus verdict.
 */
export * from "./types";
export * from "./status";
export * from "./report";
export * from "./ps";
export * from "./dns";
export * from "./errors";
export * from "./compat";
export * from "./verdict";
export { normaliseShares, intervalToShares } from "./ipv4";
export * from "./commands";
