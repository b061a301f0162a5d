/**
 * A small strict XML reader for tests of the SVG output (no XML library is installed): it rejects
 * mismatched or unclosed tags, bad attribute syntax, duplicate attributes, raw `<`/`&` in text and
 * unknown entities, and returns the element tree so tests can query shapes and labels.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text of this element and its descendants, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) {
    throw new Error(
      `XML: raw '<' or '&' or unknown entity in text near offset ${where}: ${raw.slice(0, 40)}`,
    );
  }
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
    e.startsWith("#x")
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith("#")
        ? String.fromCodePoint(Number(e.slice(1)))
        : ENTITIES[e],
  );
}

/** Parses a document; throws with the offset of the first problem. */
export function parseXml(doc: string): XmlElement {
  let pos = 0;
  const root: XmlElement = { name: "#document", attrs: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const name = /^[A-Za-z_][\w.:-]*/;
  while (pos < doc.length) {
    const lt = doc.indexOf("<", pos);
    const textEnd = lt < 0 ? doc.length : lt;
    if (textEnd > pos) {
      const text = decode(doc.slice(pos, textEnd), pos);
      if (stack.length === 1 && text.trim() !== "")
        throw new Error(`XML: text outside the root element at ${pos}`);
      for (const el of stack) el.text += text;
    }
    if (lt < 0) break;
    pos = lt;
    if (doc.startsWith("<?", pos)) {
      const end = doc.indexOf("?>", pos);
      if (end < 0 || pos !== 0) throw new Error(`XML: bad processing instruction at ${pos}`);
      pos = end + 2;
      continue;
    }
    if (doc.startsWith("<!--", pos)) {
      const end = doc.indexOf("-->", pos);
      if (end < 0) throw new Error(`XML: unclosed comment at ${pos}`);
      pos = end + 3;
      continue;
    }
    if (doc.startsWith("</", pos)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(doc.slice(pos));
      if (!m) throw new Error(`XML: bad end tag at ${pos}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`XML: </${m[1]}> at ${pos} closes <${open?.name}>`);
      pos += m[0].length;
      continue;
    }
    pos += 1;
    const nm = name.exec(doc.slice(pos));
    if (!nm) throw new Error(`XML: bad tag name at ${pos}`);
    pos += nm[0].length;
    const el: XmlElement = { name: nm[0], attrs: {}, children: [], text: "" };
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(pos))![0];
      pos += ws.length;
      if (doc.startsWith("/>", pos) || doc.startsWith(">", pos)) break;
      if (ws.length === 0)
        throw new Error(`XML: attributes of <${el.name}> not separated by space at ${pos}`);
      const am = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(doc.slice(pos));
      if (!am) throw new Error(`XML: bad attribute in <${el.name}> at ${pos}`);
      if (am[1] in el.attrs) throw new Error(`XML: duplicate attribute ${am[1]} in <${el.name}>`);
      el.attrs[am[1]] = decode(am[3] ?? am[4], pos);
      pos += am[0].length;
    }
    stack[stack.length - 1].children.push(el);
    if (stack.length === 1 && root.children.length > 1) throw new Error(`XML: second root element at ${pos}`);
    if (doc.startsWith("/>", pos)) {
      pos += 2;
    } else {
      pos += 1;
      stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`XML: unclosed <${stack[stack.length - 1].name}>`);
  if (root.children.length !== 1) throw new Error("XML: no root element");
  return root.children[0];
}

/** Every descendant element (depth first) matching a predicate. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (pred(c)) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}
