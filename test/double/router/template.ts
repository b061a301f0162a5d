/**
 * The subset of Go's text/template that `weave report -f` users write: literal text and actions
 * `{{.A.B}}`, `{{json .A}}`, `{{len .A}}`, `{{.}}`. Anything else is a parse error, reported the way
 * Go words it for the common cases (`template: format:1: unclosed action`).
 */
import { encodeJson } from "./render";

export type TemplateResult = { status: 200 | 400 | 500; body: string };

type Action = { kind: "text"; text: string } | { kind: "eval"; fn: "" | "json" | "len"; path: string[] };

function parse(tmpl: string): Action[] | string {
  const out: Action[] = [];
  let pos = 0;
  while (pos < tmpl.length) {
    const open = tmpl.indexOf("{{", pos);
    if (open < 0) {
      out.push({ kind: "text", text: tmpl.slice(pos) });
      break;
    }
    if (open > pos) out.push({ kind: "text", text: tmpl.slice(pos, open) });
    const close = tmpl.indexOf("}}", open + 2);
    if (close < 0) return "template: format:1: unclosed action";
    const body = tmpl.slice(open + 2, close).trim();
    const words = body.split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return "template: format:1: missing value for command";
    let fn: "" | "json" | "len" = "";
    let arg = words[0];
    if (words.length === 2 && (words[0] === "json" || words[0] === "len")) {
      fn = words[0];
      arg = words[1];
    } else if (words.length !== 1) {
      return `template: format:1: function "${words[0]}" not defined`;
    }
    if (!arg.startsWith(".")) return `template: format:1: function "${arg}" not defined`;
    const path = arg === "." ? [] : arg.slice(1).split(".");
    out.push({ kind: "eval", fn, path });
    pos = close + 2;
  }
  return out;
}

/** Go's default formatting of a value inside `{{ }}`. */
function goFormat(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return "[" + v.map(goFormat).join(" ") + "]";
  if (typeof v === "object") {
    return (
      "{" +
      Object.values(v as Record<string, unknown>)
        .map(goFormat)
        .join(" ") +
      "}"
    );
  }
  return String(v).replace(/^@@UID(\d+)@@$/, "$1");
}

export function executeTemplate(tmpl: string, data: Record<string, unknown>): TemplateResult {
  const actions = parse(tmpl);
  if (typeof actions === "string") return { status: 400, body: actions };
  let out = "";
  for (const a of actions) {
    if (a.kind === "text") {
      out += a.text;
      continue;
    }
    let v: unknown = data;
    let failed = false;
    for (const key of a.path) {
      if (v !== null && typeof v === "object" && !Array.isArray(v) && key in (v as Record<string, unknown>)) {
        v = (v as Record<string, unknown>)[key];
      } else {
        failed = true;
        break;
      }
    }
    if (!failed && a.fn === "len") {
      if (Array.isArray(v)) v = v.length;
      else if (v === null) v = 0;
      else if (typeof v === "string") v = v.length;
      else failed = true;
    }
    if (failed) {
      // Go writes what it produced so far; with no output yet the handler answers 500.
      return out.length === 0
        ? { status: 500, body: "error during template execution" }
        : { status: 200, body: out + "error during template execution" };
    }
    out += a.fn === "json" ? encodeJson(v, 0) : goFormat(v);
  }
  return { status: 200, body: out };
}
