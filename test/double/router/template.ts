/**
 * The subset of Go's text/template that `weave report -f` users (and weave-lab's own report
 * reads) write, evaluated over the report object with Go's semantics:
 *
 * - output: literal text, `{{PIPE}}`; trim markers `{{- ` and ` -}}`;
 * - pipelines: an operand (`.`, `.A.B`, `$`, `$x`, `$x.A.B`), or `json OPERAND` (Weave's only
 *   added function: Go's `json.Marshal`, compact) or `len OPERAND`;
 * - control: `{{if P}}`, `{{with P}}` and `{{range P}}`, each with `{{else}}` (and `{{else if P}}`
 *   / `{{else with P}}`), closed by `{{end}}`; `{{range $i, $e := P}}`, `{{range $e := P}}` and
 *   `{{$x := P}}` declare variables scoped to the enclosing block, as in Go.
 *
 * Anything else (other functions, pipes, literals) is a parse error, worded as Go words the
 * common cases (`template: format:1: unclosed action`). Values are the report's JSON shapes:
 * an object is a Go struct (always true, cannot be ranged over), `null` a nil slice (false,
 * length 0, ranges zero times), and the report's omitted sections (`IPAM` without IPAM, …) are
 * nil pointers: `{{json .IPAM}}` is `null`, `{{if .IPAM}}` is false, `{{.IPAM.Range}}` fails.
 */
import { encodeJson } from "./render";

export type TemplateResult = { status: 200 | 400 | 500; body: string };

/** WeaveStatus's pointer fields: left out of the JSON when nil (omitempty), still fields to a template. */
const NIL_WHEN_ABSENT = new Set(["VersionCheck", "Router", "IPAM", "DNS", "Proxy", "Plugin"]);

/** `.A.B` from the dot, `$x.A.B` from a variable (`$` is the root). */
type Operand = { from: "dot" | "var"; name: string; path: string[] };
type Pipe = { fn: "" | "json" | "len"; arg: Operand };
type Node =
  | { kind: "text"; text: string }
  | { kind: "print"; pipe: Pipe }
  | { kind: "decl"; name: string; pipe: Pipe }
  | { kind: "if" | "with"; pipe: Pipe; then: Node[]; else: Node[] }
  | { kind: "range"; vars: string[]; pipe: Pipe; then: Node[]; else: Node[] };

class ParseError extends Error {}

/** One `{{ … }}` with where it starts (for the line number Go puts in its errors). */
type Tag = { body: string; at: number };

/** Split into text and tags, applying the trim markers. */
function lex(tmpl: string): Array<string | Tag> {
  const out: Array<string | Tag> = [];
  let pos = 0;
  let trimNext = false;
  while (pos <= tmpl.length) {
    const open = tmpl.indexOf("{{", pos);
    let text = tmpl.slice(pos, open < 0 ? tmpl.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    let body = "";
    if (open >= 0) {
      const close = tmpl.indexOf("}}", open + 2);
      if (close < 0) throw new ParseError(`template: format:${lineAt(tmpl, open)}: unclosed action`);
      body = tmpl.slice(open + 2, close);
      if (/^-\s/.test(body)) {
        text = text.replace(/\s+$/, "");
        body = body.slice(1);
      }
      trimNext = /\s-$/.test(body);
      if (trimNext) body = body.slice(0, -1);
      pos = close + 2;
    }
    if (text) out.push(text);
    if (open < 0) break;
    out.push({ body: body.trim(), at: open });
  }
  return out;
}

function lineAt(tmpl: string, at: number): number {
  return tmpl.slice(0, at).split("\n").length;
}

/** Parse into a tree; a string is Go's error text. */
function parse(tmpl: string): Node[] | string {
  try {
    const items = lex(tmpl);
    let i = 0;
    const scopes: Array<Set<string>> = [new Set(["$"])];
    const err = (t: Tag, what: string): ParseError =>
      new ParseError(`template: format:${lineAt(tmpl, t.at)}: ${what}`);
    const known = (name: string): boolean => scopes.some((s) => s.has(name));

    const operand = (t: Tag, word: string): Operand => {
      const m = /^(\$[A-Za-z0-9_]*)?((?:\.[A-Za-z0-9_]+)*|\.)$/.exec(word);
      if (!m || (!m[1] && !m[2])) {
        if (/^[A-Za-z_]\w*$/.test(word)) throw err(t, `function "${word}" not defined`);
        throw err(t, `unexpected "${word}" in command`);
      }
      const path = m[2] === "." || !m[2] ? [] : m[2].slice(1).split(".");
      if (!m[1]) return { from: "dot", name: "", path };
      if (!known(m[1])) throw err(t, `undefined variable "${m[1]}"`);
      return { from: "var", name: m[1], path };
    };
    const pipe = (t: Tag, text: string): Pipe => {
      const words = text.split(/\s+/).filter((w) => w.length > 0);
      if (words.length === 0) throw err(t, "missing value for command");
      if (words.includes("|")) throw err(t, "pipelines are not supported by the double");
      if (words.length === 2 && (words[0] === "json" || words[0] === "len"))
        return { fn: words[0], arg: operand(t, words[1]) };
      if (words.length !== 1) {
        if (words[0].startsWith(".") || words[0].startsWith("$"))
          throw err(t, `can't give argument to non-function ${words[0]}`);
        throw err(t, `function "${words[0]}" not defined`);
      }
      if (words[0] === "json" || words[0] === "len") throw err(t, `wrong number of args for ${words[0]}`);
      return { fn: "", arg: operand(t, words[0]) };
    };

    /** Nodes up to `{{end}}` or `{{else…}}` (returned as the stopping tag); top level runs to EOF. */
    const list = (top: boolean): { nodes: Node[]; stop?: Tag } => {
      const nodes: Node[] = [];
      while (i < items.length) {
        const it = items[i++];
        if (typeof it === "string") {
          nodes.push({ kind: "text", text: it });
          continue;
        }
        const b = it.body;
        if (b.startsWith("/*")) {
          if (!b.endsWith("*/")) throw err(it, "unclosed comment");
          continue;
        }
        const word = b.split(/\s+/)[0];
        if (word === "end" || word === "else") {
          if (top) throw err(it, `unexpected {{${word}}}`);
          return { nodes, stop: it };
        }
        if (word === "if" || word === "with" || word === "range") {
          nodes.push(control(it, word, b.slice(word.length).trim()));
          continue;
        }
        const decl = /^(\$[A-Za-z0-9_]*)\s*:=\s*(.*)$/.exec(b);
        if (decl) {
          const p = pipe(it, decl[2]);
          scopes[scopes.length - 1].add(decl[1]);
          nodes.push({ kind: "decl", name: decl[1], pipe: p });
          continue;
        }
        nodes.push({ kind: "print", pipe: pipe(it, b) });
      }
      if (!top) throw new ParseError(`template: format:${lineAt(tmpl, tmpl.length)}: unexpected EOF`);
      return { nodes };
    };

    const control = (t: Tag, kind: "if" | "with" | "range", rest: string): Node => {
      const vars: string[] = [];
      let pipeText = rest;
      if (kind === "range") {
        const m = /^(\$[A-Za-z0-9_]*)\s*(?:,\s*(\$[A-Za-z0-9_]*)\s*)?:=\s*(.*)$/.exec(rest);
        if (m) {
          vars.push(m[1], ...(m[2] ? [m[2]] : []));
          pipeText = m[3];
        }
      }
      const p = pipe(t, pipeText);
      scopes.push(new Set(vars));
      const body = list(false);
      scopes.pop();
      let elseNodes: Node[] = [];
      const stop = body.stop!;
      if (stop.body !== "end") {
        const after = stop.body.slice("else".length).trim();
        if (after === "") {
          scopes.push(new Set());
          const e = list(false);
          scopes.pop();
          if (e.stop!.body !== "end") throw err(e.stop!, "expected end; found {{else}}");
          elseNodes = e.nodes;
        } else {
          // `{{else if P}}` / `{{else with P}}`: a nested block that shares this one's `{{end}}`.
          const w = after.split(/\s+/)[0];
          if (w !== "if" && w !== "with") throw err(stop, `unexpected "${w}" in else`);
          elseNodes = [control(stop, w, after.slice(w.length).trim())];
        }
      }
      return kind === "range"
        ? { kind, vars, pipe: p, then: body.nodes, else: elseNodes }
        : { kind, pipe: p, then: body.nodes, else: elseNodes };
    };

    return list(true).nodes;
  } catch (e) {
    if (e instanceof ParseError) return e.message;
    throw e;
  }
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

/** Go's `if` truth: false, 0, "", empty or nil slices and nil pointers are false; structs are true. */
function truth(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

class ExecError extends Error {}

type Vars = Map<string, unknown>;

function evalOperand(o: Operand, dot: unknown, vars: Vars, root: unknown): unknown {
  let v = o.from === "dot" ? dot : vars.get(o.name);
  for (const key of o.path) {
    if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v))
      throw new ExecError(`can't evaluate field ${key}`);
    const rec = v as Record<string, unknown>;
    if (key in rec) v = rec[key];
    else if (v === root && NIL_WHEN_ABSENT.has(key)) v = undefined;
    else throw new ExecError(`can't evaluate field ${key}`);
  }
  return v;
}

function evalPipe(p: Pipe, dot: unknown, vars: Vars, root: unknown): unknown {
  const v = evalOperand(p.arg, dot, vars, root);
  if (p.fn === "json") return encodeJson(v === undefined ? null : v, 0);
  if (p.fn === "len") {
    if (Array.isArray(v)) return v.length;
    if (v === null) return 0;
    if (typeof v === "string") return Buffer.byteLength(v);
    throw new ExecError("len of an unsupported value");
  }
  return v;
}

function run(nodes: Node[], dot: unknown, outer: Vars, root: unknown, out: string[]): void {
  const vars = new Map(outer);
  for (const n of nodes) {
    switch (n.kind) {
      case "text":
        out.push(n.text);
        break;
      case "print": {
        const v = evalPipe(n.pipe, dot, vars, root);
        out.push(n.pipe.fn === "json" ? (v as string) : goFormat(v));
        break;
      }
      case "decl":
        vars.set(n.name, evalPipe(n.pipe, dot, vars, root));
        break;
      case "if":
      case "with": {
        const v = evalPipe(n.pipe, dot, vars, root);
        if (truth(v)) run(n.then, n.kind === "with" ? v : dot, vars, root, out);
        else run(n.else, dot, vars, root, out);
        break;
      }
      case "range": {
        const v = evalPipe(n.pipe, dot, vars, root);
        if (v !== null && !Array.isArray(v)) throw new ExecError(`range can't iterate over ${goFormat(v)}`);
        const items = v ?? [];
        if (items.length === 0) {
          run(n.else, dot, vars, root, out);
          break;
        }
        items.forEach((item, index) => {
          const inner = new Map(vars);
          if (n.vars.length === 1) inner.set(n.vars[0], item);
          if (n.vars.length === 2) {
            inner.set(n.vars[0], index);
            inner.set(n.vars[1], item);
          }
          run(n.then, item, inner, root, out);
        });
        break;
      }
    }
  }
}

export function executeTemplate(tmpl: string, data: Record<string, unknown>): TemplateResult {
  const tree = parse(tmpl);
  if (typeof tree === "string") return { status: 400, body: tree };
  const out: string[] = [];
  try {
    run(tree, data, new Map([["$", data]]), data, out);
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    // Go writes what it produced so far; with no output yet the handler answers 500.
    const sofar = out.join("");
    return sofar.length === 0
      ? { status: 500, body: "error during template execution" }
      : { status: 200, body: sofar + "error during template execution" };
  }
  return { status: 200, body: out.join("") };
}
