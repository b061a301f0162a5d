/**
 * Host-key expectations: what the user wrote (`ssh-ed25519 AAAA…` or `SHA256:…`) and how a
 * presented key is compared to it. Pure, so the comparison and the wording are unit-tested.
 */
import { createHash } from "crypto";

/** A parsed `hostKey` setting. */
export type ExpectedHostKey =
  | { kind: "key"; keyType: string; blob: Buffer; fingerprint: string }
  | { kind: "fingerprint"; fingerprint: string };

/**
 * The OpenSSH SHA-256 fingerprint of a raw public key blob, as `ssh-keygen -lf` prints it:
 * `SHA256:` + unpadded base64.
 */
export function fingerprintOf(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) {
    return undefined;
  }
  const n = blob.readUInt32BE(0);
  if (n <= 0 || n > 64 || 4 + n > blob.length) {
    return undefined;
  }
  return blob.subarray(4, 4 + n).toString("latin1");
}

/**
 * Parse a `hostKey` setting: an OpenSSH public key line (`<type> <base64> [comment]`, as in
 * `/etc/ssh/ssh_host_ed25519_key.pub` or a `known_hosts` line without the host field) or a
 * `SHA256:` fingerprint.
 *
 * @throws an error naming `field` and saying which forms are allowed; the value itself is not
 *   secret but may be long, so only its start is shown.
 */
export function parseHostKey(value: string, field = "hostKey"): ExpectedHostKey {
  const v = value.trim();
  const shown = v.length > 40 ? JSON.stringify(v.slice(0, 40) + "…") : JSON.stringify(v);
  const allowed = "an OpenSSH public key line (e.g. `ssh-ed25519 AAAA…`) or a `SHA256:` fingerprint";
  if (/^SHA256:/i.test(v)) {
    const b64 = v.slice(7);
    // 32 bytes of SHA-256 are 43 unpadded base64 characters.
    if (!/^[A-Za-z0-9+/]{43}=?$/.test(b64)) {
      throw new Error(
        `${field}: ${shown} is not a SHA256 fingerprint (expected SHA256: and 43 base64 characters); allowed: ${allowed}`,
      );
    }
    return { kind: "fingerprint", fingerprint: "SHA256:" + b64.replace(/=$/, "") };
  }
  const words = v.split(/\s+/);
  // Accept a known_hosts line too: skip a leading host field when the second word is a type.
  const start = words.length >= 3 && keyTypeLike(words[1]) && !keyTypeLike(words[0]) ? 1 : 0;
  const [type, b64] = [words[start], words[start + 1]];
  if (!type || !b64 || !keyTypeLike(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new Error(`${field}: ${shown} is neither a public key line nor a fingerprint; allowed: ${allowed}`);
  }
  const blob = Buffer.from(b64, "base64");
  const inner = keyTypeOf(blob);
  if (inner !== type) {
    throw new Error(
      `${field}: ${shown} is not a valid ${type} public key (its data names ${inner === undefined ? "no key type" : inner}); allowed: ${allowed}`,
    );
  }
  return { kind: "key", keyType: type, blob, fingerprint: fingerprintOf(blob) };
}

function keyTypeLike(w: string | undefined): boolean {
  return (
    w !== undefined &&
    /^(ssh-(ed25519|rsa|dss|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)(-cert-v01@openssh\.com)?$/.test(
      w,
    )
  );
}

/** Whether the presented raw key blob is the expected one. */
export function hostKeyMatches(expected: ExpectedHostKey, presented: Buffer): boolean {
  if (expected.kind === "key") {
    return expected.blob.equals(presented);
  }
  return expected.fingerprint === fingerprintOf(presented);
}

/**
 * The host-key algorithms to offer so the server presents the key type we expect (a server with
 * several host keys would otherwise pick one by preference and fail a correct expectation).
 * `undefined` means "no preference" (a bare fingerprint does not say the type).
 */
export function hostKeyAlgorithmsFor(expected: ExpectedHostKey): string[] | undefined {
  if (expected.kind !== "key") {
    return undefined;
  }
  switch (expected.keyType) {
    case "ssh-rsa":
      return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
    case "ssh-ed25519":
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521":
    case "ssh-dss":
      return [expected.keyType];
    default:
      return undefined;
  }
}
