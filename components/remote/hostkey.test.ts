import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fingerprintOf, hostKeyAlgorithmsFor, hostKeyMatches, keyTypeOf, parseHostKey } from "./hostkey";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wl-hostkey-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function generate(type: string, bits?: number): { line: string; keygenFingerprint: string } {
  const file = path.join(dir, `${type}-${Math.random().toString(36).slice(2)}`);
  execFileSync("ssh-keygen", [
    "-q",
    "-t",
    type,
    ...(bits ? ["-b", String(bits)] : []),
    "-N",
    "",
    "-C",
    "c@d",
    "-f",
    file,
  ]);
  const line = fs.readFileSync(file + ".pub", "utf8").trim();
  // `ssh-keygen -lf` prints "<bits> SHA256:<b64> <comment> (<TYPE>)".
  const keygenFingerprint = execFileSync("ssh-keygen", ["-lf", file + ".pub"], { encoding: "utf8" }).split(
    " ",
  )[1];
  return { line, keygenFingerprint };
}

describe("fingerprints", () => {
  test.each([["ed25519"], ["ecdsa"], ["rsa"]])("the %s fingerprint equals ssh-keygen -lf", (type) => {
    const { line, keygenFingerprint } = generate(type, type === "rsa" ? 2048 : undefined);
    const parsed = parseHostKey(line);
    expect(parsed.fingerprint).toBe(keygenFingerprint);
    expect(fingerprintOf(Buffer.from(line.split(" ")[1], "base64"))).toBe(keygenFingerprint);
  });
});

describe("parseHostKey", () => {
  const { line, keygenFingerprint } = generate("ed25519");
  const blob = Buffer.from(line.split(" ")[1], "base64");

  test("a public key line, a known_hosts line and a fingerprint all match the same key", () => {
    expect(hostKeyMatches(parseHostKey(line), blob)).toBe(true);
    expect(hostKeyMatches(parseHostKey(`[10.0.0.1]:2222 ${line}`), blob)).toBe(true);
    expect(hostKeyMatches(parseHostKey(keygenFingerprint), blob)).toBe(true);
    expect(hostKeyMatches(parseHostKey(`  ${keygenFingerprint}=\n`), blob)).toBe(true);
  });

  test("another key does not match, by line or by fingerprint", () => {
    const other = generate("ed25519");
    const otherBlob = Buffer.from(other.line.split(" ")[1], "base64");
    expect(hostKeyMatches(parseHostKey(line), otherBlob)).toBe(false);
    expect(hostKeyMatches(parseHostKey(keygenFingerprint), otherBlob)).toBe(false);
  });

  test("the expected key type selects the host-key algorithms to offer", () => {
    expect(hostKeyAlgorithmsFor(parseHostKey(line))).toEqual(["ssh-ed25519"]);
    expect(hostKeyAlgorithmsFor(parseHostKey(generate("rsa", 2048).line))).toEqual([
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
    ]);
    expect(hostKeyAlgorithmsFor(parseHostKey(keygenFingerprint))).toBeUndefined();
    expect(keyTypeOf(blob)).toBe("ssh-ed25519");
  });

  test.each([
    ["SHA256:tooShort", /hostKey: "SHA256:tooShort" is not a SHA256 fingerprint/],
    [
      "MD5:aa:bb",
      /hostKey: "MD5:aa:bb" is neither a public key line nor a fingerprint; allowed: an OpenSSH public key line/,
    ],
    ["ssh-ed25519 !!!", /is neither a public key line nor a fingerprint/],
    ["ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIB", /is not a valid ssh-rsa public key \(its data names/],
  ])("%j is refused with the field, the value and the allowed forms", (value, message) => {
    expect(() => parseHostKey(value)).toThrow(message);
  });
});
