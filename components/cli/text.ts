/**
 * What both CLI commands (`plan`, `status`) share about text: reading a spec file, writing to a
 * terminal safely, and the shape of a `--json` failure.
 */
import * as YAML from "yaml";
import type { SpecIssue } from "../model/plan";

/**
 * Text fit for a terminal: C0 and C1 control characters (except newline and tab), DEL and the
 * bidirectional overrides are shown as `\xNN` / `\u{NNNN}` escapes instead of being written.
 */
export function sanitize(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** Parse a spec file's text: JSON if it looks like JSON, YAML otherwise (YAML 1.2 core schema). */
export function parseSpecText(text: string, path: string): unknown {
  if (path.endsWith(".json")) return JSON.parse(text);
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"));
  return doc.toJS();
}

/** A failure as `--json` prints it. */
export interface CliJsonError {
  ok: false;
  exitCode: number;
  error: string;
  issues: SpecIssue[];
}
