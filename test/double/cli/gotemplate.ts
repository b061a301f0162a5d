/**
 * The subset of Go's text/template that `docker … --format` answers need: literal text,
 * `{{.Field.Sub}}`, `{{.}}`, and the functions `json`, `len`, `index`, `join`, `upper`, `lower`.
 * Anything else is a parse error, as Docker reports an unknown function — better than silently
 * printing something a real Docker would not.
 */

export type TemplateValue = unknown;

export class TemplateError extends Error {}

/** Go's json.Marshal: compact, and HTML-sensitive characters escaped. */
export function goJson(v: TemplateValue): string {
  return (JSON.stringify(v === undefined ? null : v) ?? "null")
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026");
}

/** Go's `%v` of a decoded JSON value (what `{{.X}}` prints). */
export function goPrint(v: TemplateValue): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goPrint).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrint(o[k])}`)
      .join(" ")}]`;
  }
  return String(v);
}

function field(v: TemplateValue, pathStr: string, whole: string): TemplateValue {
  if (pathStr === ".") return v;
  let cur: TemplateValue = v;
  for (const part of pathStr.split(".").slice(1)) {
    if (cur === null || cur === undefined || typeof cur !== "object" || Array.isArray(cur)) {
      throw new TemplateError(`template: ${whole}: can't evaluate field ${part} in type ${goType(cur)}`);
    }
    const o = cur as Record<string, unknown>;
    // Go templates see struct field names (APIVersion) while the JSON we keep has json tags
    // (ApiVersion): accept a case-insensitive match when the exact key is missing.
    cur = part in o ? o[part] : o[Object.keys(o).find((k) => k.toLowerCase() === part.toLowerCase()) ?? part];
  }
  return cur;
}

function goType(v: TemplateValue): string {
  if (v === null || v === undefined) return "interface {}";
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "float64";
  if (typeof v === "boolean") return "bool";
  return "map[string]interface {}";
}

/** Split `{{ … }}` arguments, keeping quoted strings whole. */
function tokens(expr: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of expr.matchAll(re))
    out.push(m[1] !== undefined ? JSON.stringify(JSON.parse(`"${m[1]}"`)) : m[2]);
  return out;
}

function evalArg(tok: string, data: TemplateValue, whole: string): TemplateValue {
  if (tok.startsWith('"')) return JSON.parse(tok) as string;
  if (tok.startsWith(".")) return field(data, tok, whole);
  if (/^-?\d+$/.test(tok)) return Number(tok);
  throw new TemplateError(`template: ${whole}: function "${tok}" not defined`);
}

function evalExpr(expr: string, data: TemplateValue, whole: string): TemplateValue {
  const t = tokens(expr.trim());
  if (t.length === 0) throw new TemplateError(`template: ${whole}: missing value for command`);
  const [head, ...args] = t;
  const a = (): TemplateValue[] => args.map((x) => evalArg(x, data, whole));
  switch (head) {
    case "json":
      return goJson(a()[0]);
    case "len": {
      const [v] = a();
      if (Array.isArray(v) || typeof v === "string") return v.length;
      if (v && typeof v === "object") return Object.keys(v).length;
      throw new TemplateError(`template: ${whole}: error calling len: len of ${goType(v)}`);
    }
    case "index": {
      const [v, k] = a();
      if (Array.isArray(v)) return v[Number(k)];
      if (v && typeof v === "object") return (v as Record<string, unknown>)[String(k)];
      return undefined;
    }
    case "join": {
      const [v, sep] = a();
      return Array.isArray(v) ? v.map(goPrint).join(String(sep)) : goPrint(v);
    }
    case "upper":
      return goPrint(a()[0]).toUpperCase();
    case "lower":
      return goPrint(a()[0]).toLowerCase();
    default:
      if (args.length > 0) throw new TemplateError(`template: ${whole}: function "${head}" not defined`);
      return evalArg(head, data, whole);
  }
}

/** Render `tmpl` against `data` (no trailing newline added). */
export function renderTemplate(tmpl: string, data: TemplateValue): string {
  let out = "";
  let i = 0;
  while (i < tmpl.length) {
    const open = tmpl.indexOf("{{", i);
    if (open < 0) {
      out += tmpl.slice(i);
      break;
    }
    out += tmpl.slice(i, open);
    const close = tmpl.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError(`template: ${tmpl}:1: unclosed action`);
    let expr = tmpl.slice(open + 2, close);
    // {{- and -}} trim adjacent whitespace in Go.
    if (expr.startsWith("-")) {
      out = out.replace(/\s+$/, "");
      expr = expr.slice(1);
    }
    let trimRight = false;
    if (expr.endsWith("-")) {
      trimRight = true;
      expr = expr.slice(0, -1);
    }
    const v = evalExpr(expr, data, tmpl);
    out += typeof v === "string" ? v : goPrint(v);
    i = close + 2;
    if (trimRight) while (i < tmpl.length && /\s/.test(tmpl[i])) i++;
  }
  return out;
}
