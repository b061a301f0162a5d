/** Predicates and wording shared by more than one family of rules. */
import { hostBitsText, networkText, quote, type Cidr, type ParseResult } from "../cidr";

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const LABEL_RULE =
  "a DNS label: lowercase letters, digits and '-', 1 to 63 characters, not starting or ending with '-'";
export const isDnsName = (v: string): boolean =>
  v.length <= 253 && v.split(".").every((l) => DNS_LABEL.test(l));
export const badLabel = (v: unknown): boolean => typeof v !== "string" || !DNS_LABEL.test(v);
export const badBool = (v: unknown): boolean => v !== undefined && typeof v !== "boolean";
export const badPort = (v: unknown): boolean =>
  v !== undefined && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535);
export const badPositive = (v: unknown): boolean =>
  v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0);
export const hasSpace = (v: string): boolean => /\s/.test(v);
export const MAC_RULE =
  "a MAC-style peer name like 02:00:00:00:00:01 (six groups of 1-2 hex digits; Weave's '::' abbreviations such as ::1 are accepted)";

/** Rules shared by the range and the default subnet and container subnets. */
export function cidrProblems(p: ParseResult<Cidr>): string | undefined {
  if (!p.ok) return `${p.reason}`;
  const c = p.value;
  if (c.hostBitsSet) {
    return `${quote(c.text)} has host bits set (${hostBitsText(c)} after the /${c.prefix} prefix); Weave requires a network address: use ${networkText(c)}`;
  }
  if (c.prefix > 30) {
    return `${quote(c.text)} has only ${c.size} address${c.size === 1 ? "" : "es"}; Weave needs at least 4: use a prefix of /30 or shorter`;
  }
  return undefined;
}

export const halfOf = (c: Cidr): string => `${networkText({ ...c, prefix: c.prefix + 1 })}`;
