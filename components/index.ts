/**
 * weave-lab: Weave Net labs as code. The package's public API (`main` in package.json points at
 * the compiled form of this file): what a user composes (the components, the spec and plan, the
 * range picture, the resolve check) and the types of their outputs. The dynamic resources behind
 * the components (routers, the consensus gate, container and DNS record resources) are internal.
 */
export * from "./spec";
export { planLab, SpecError } from "./plan";
export type {
  LabPlan,
  HostPlan,
  ContainerPlan,
  NetworkPlan,
  SpecIssue,
  RangeShare,
  CommandPlan,
} from "./model/plan";

// Network: a router on every host, proven to agree on one ring.
export { WeaveNetwork, NETWORK_TYPE, type WeaveNetworkArgs, type NetworkHostOutput } from "./network";
export { DEFAULT_TIMEOUTS, type NetworkTimeouts } from "./providers/inputs";
export type { RouterOutputs, GateOutputs, GateHostResult, RouterStatus } from "./providers/types";
export type { ConnectParams } from "./remote/types";

// The lab program's pieces: local Docker-in-Docker hosts, stack config, and the range picture.
export { LocalLab, type LocalLabArgs } from "./local-lab";
export type { KeyPairText } from "./local/keys";
export { LocalLabError, type LocalTopology, type LocalHost } from "./local/topology";
export {
  readLabConfig,
  ConfigError,
  type ConfigSource,
  type LabConfig,
  type LocalLabSettings,
} from "./config";
export {
  renderRangeSvg,
  renderRangeTable,
  viewFromPlan,
  type RangeView,
  type RangeViewHost,
  type RangeViewContainer,
} from "./view";

// Containers and extra DNS records on the network, and the resolve check tests and tools use.
export { WeaveContainer, CONTAINER_TYPE, planContainer, type WeaveContainerArgs } from "./container";
export { WeaveDnsRecord, DNS_RECORD_TYPE, dnsRecordInputs, type WeaveDnsRecordArgs } from "./dns-record";
export { resolveFrom, expectResolves } from "./providers/name-lookup";
export { isContainerError, type ContainerError } from "./providers/container-diff";
export {
  DEFAULT_CONTAINER_TIMEOUTS,
  type ContainerTimeouts,
  type ContainerOutputs,
  type ContainerStatus,
  type DnsRecordOutputs,
} from "./providers/container-types";
