/**
 * The weave-lab program (`pulumi up` in the repository root, or `npm run lab`).
 *
 * With no `weave-lab:hosts` in stack config it first builds a local lab of Docker-in-Docker hosts
 * on your Docker engine; with hosts it drives those over SSH. Either way: a WeaveNetwork whose
 * routers provably agree on one ring, the configured containers on it, and outputs for people
 * (`rangeTable`, the SVG range picture, ssh commands) and machines (`hosts`, `containers`).
 * Config keys are documented in components/config.ts and the README.
 */
import { labProgram } from "./components/program";

const lab = labProgram();

/** `local` or `remote`. */
export const mode = lab.mode;
export const allocRange = lab.allocRange;
/** Per host: address, peer name, owned CIDRs and share of the range, router status (and ssh command for a local lab). */
export const hosts = lab.hosts;
/** Per container (`<host>/<name>`): host, id, ip, cidr, mac, fqdn. */
export const containers = lab.containers;
/** The data-plane proof: who reaches whom over Weave and which names resolve from each host, failures named. */
export const dataPlane = lab.dataPlane;
export const rangeTable = lab.rangeTable;
export const predictedRangeTable = lab.predictedRangeTable;
export const rangeSvg = lab.rangeSvg;
export const rangeSvgFile = lab.rangeSvgFile;
export const warnings = lab.warnings;
export const sshCommands = lab.sshCommands;
/** Secret (local lab): `scripts/lab.sh` writes it to .lab-state/<stack>/id_ed25519. */
export const sshPrivateKey = lab.sshPrivateKey;
export const knownHosts = lab.knownHosts;
