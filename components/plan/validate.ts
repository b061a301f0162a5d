/**
 * What makes a spec invalid: the one place to look.
 *
 * Validation is a set of rule tables in the aws-cdk style: each rule is `{ path, when, message }`
 * over one kind of item (the lab, a host, one launch argument, a container, a DNS record, a
 * field name). `validateSpec` runs every rule over every item and returns all problems at once;
 * rules with `severity: "warning"` describe legal but surprising specs (they end up in
 * `plan.warnings`). Messages name the bad value and what is allowed.
 *
 * The input may come from YAML/JSON, so every rule reads fields as `unknown` and reports a wrong
 * type instead of crashing. The context parses each address and CIDR once (the planner reuses
 * it), so rules are cheap even for thousands of containers.
 *
 * The tables live in `rules/`: `context.ts` (the spec parsed once), `network.ts` (the lab, its
 * network and trusted subnets), `hosts.ts` (hosts and their extra launch arguments),
 * `containers.ts` (containers, their DNS names and extra DNS records) and `fields.ts` (unknown
 * field names). This file runs them in spec order.
 */
import type { LabSpec } from "../spec";
import { describe } from "./cidr";
import type { SpecIssue } from "../model/plan";
import { buildContext, type ContainerCtx, type Rule, type SpecContext } from "./rules/context";
import { containerRules, dnsNameRules, dnsRecordRules } from "./rules/containers";
import { fieldItems, fieldRules } from "./rules/fields";
import { hostRules, launchArgRules } from "./rules/hosts";
import { labRules, trustedSubnetRules } from "./rules/network";

export { buildContext, qualifyDnsName } from "./rules/context";
export type { ArgCtx } from "./rules/hosts";
export type { ContainerRuleCtx } from "./rules/containers";
export type { ContainerCtx, DnsRecordCtx, HostCtx, Rule, SpecContext } from "./rules/context";
export {
  containerRules,
  dnsNameRules,
  dnsRecordRules,
  fieldRules,
  hostRules,
  labRules,
  launchArgRules,
  trustedSubnetRules,
};
/** Everything wrong with a spec (errors) and worth knowing (warnings), in spec order. */
export interface ValidationResult {
  errors: SpecIssue[];
  warnings: SpecIssue[];
  context: SpecContext;
}

function apply<C>(
  rules: readonly Rule<C>[],
  items: readonly C[],
  errors: SpecIssue[],
  warnings: SpecIssue[],
): void {
  for (const item of items) {
    for (const rule of rules) {
      if (rule.when(item)) {
        (rule.severity === "warning" ? warnings : errors).push({
          path: rule.path(item),
          message: rule.message(item),
        });
      }
    }
  }
}

/** Run every rule over a spec (possibly read from YAML, so of unknown shape). Never throws. */
export function validateSpec(spec: LabSpec<unknown> | unknown): ValidationResult {
  const c = buildContext(spec);
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    errors.push({ path: "(spec)", message: `must be a mapping with at least hosts, got ${describe(spec)}` });
    return { errors, warnings, context: c };
  }
  apply(fieldRules, fieldItems(c), errors, warnings);
  apply(labRules, [c], errors, warnings);
  const trusted = Array.isArray(c.network.trustedSubnets) ? c.network.trustedSubnets : [];
  apply(
    trustedSubnetRules,
    trusted.map((value, i) => ({ i, value })),
    errors,
    warnings,
  );
  const isObject = (v: unknown): boolean => v !== null && typeof v === "object" && !Array.isArray(v);
  for (const h of c.hosts) {
    // A host that is not even a mapping gets one message, not one per missing field.
    apply(
      isObject((c.spec.hosts as unknown[])[h.i]) ? hostRules : hostRules.slice(0, 1),
      [{ h, c }],
      errors,
      warnings,
    );
    if (h.args)
      apply(
        launchArgRules,
        h.args.filter((a) => a.kind !== "value").map((a) => ({ h, a, c })),
        errors,
        warnings,
      );
  }
  for (const k of c.containers) {
    if (!isObject((c.spec.containers as unknown[])[k.i])) {
      errors.push({
        path: `containers[${k.i}]`,
        message: `${describe((c.spec.containers as unknown[])[k.i])} is not a container; allowed: a mapping with at least name, host and image`,
      });
      continue;
    }
    apply(containerRules, [{ k, c }], errors, warnings);
    if (Array.isArray(k.raw.dnsNames) && !c.dnsDisabled) {
      const names = k.raw.dnsNames
        .map((name, j) => ({ k, j, name, c }))
        .filter(
          (x): x is { k: ContainerCtx; j: number; name: string; c: SpecContext } =>
            typeof x.name === "string",
        );
      apply(dnsNameRules, names, errors, warnings);
    }
  }
  for (const r of c.dnsRecords) {
    const raw = (c.spec.dnsRecords as unknown[])[r.i];
    if (!isObject(raw)) {
      errors.push({
        path: `dnsRecords[${r.i}]`,
        message: `${describe(raw)} is not a DNS record; allowed: a mapping with name and ips (and optionally host)`,
      });
      continue;
    }
    apply(dnsRecordRules, [{ r, c }], errors, warnings);
  }
  return { errors, warnings, context: c };
}
