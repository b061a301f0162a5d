/**
 * Minimal DNS wire format for weaveDNS's answers (reference §9.2): A records for names in the
 * weave domain (single-label names count as in the domain), NXDOMAIN for unknown in-domain names,
 * NOERROR with no answer for other types of known names, SERVFAIL for everything else (the double
 * never forwards upstream: it must not send traffic off the machine).
 */
import { parseIp } from "./ip";

export interface DnsQuestion {
  id: number;
  flags: number;
  name: string;
  qtype: number;
  qclass: number;
  /** Bytes of the question section, echoed in the answer. */
  questionBytes: Buffer;
}

export function parseQuery(buf: Buffer): DnsQuestion | undefined {
  if (buf.length < 12) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  if (qd < 1) return undefined;
  let pos = 12;
  const labels: string[] = [];
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos];
    if (len === 0) {
      pos++;
      break;
    }
    if (len > 63 || pos + 1 + len > buf.length) return undefined;
    labels.push(buf.subarray(pos + 1, pos + 1 + len).toString("latin1"));
    pos += 1 + len;
  }
  if (pos + 4 > buf.length) return undefined;
  const qtype = buf.readUInt16BE(pos);
  const qclass = buf.readUInt16BE(pos + 2);
  return { id, flags, name: labels.join(".") + ".", qtype, qclass, questionBytes: buf.subarray(12, pos + 4) };
}

export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** Build a response: `answers` are IPv4 strings for an A question (name pointer to the question). */
export function buildResponse(
  q: DnsQuestion,
  rcode: number,
  answers: string[],
  ttl: number,
  authoritative: boolean,
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  const rd = q.flags & 0x0100;
  header.writeUInt16BE(0x8000 | (authoritative ? 0x0400 : 0) | rd | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((a) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(4, 10);
    rr.writeUInt32BE(parseIp(a) ?? 0, 12);
    return rr;
  });
  return Buffer.concat([header, q.questionBytes, ...rrs]);
}

/** Fisher–Yates: weaveDNS shuffles answers per response. */
export function shuffle<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
