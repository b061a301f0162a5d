/**
 * Fake private-key text for tests: the real PEM markers (weave-lab recognises keys by them, e.g.
 * to refuse a key in plain stack config) around no key material. The markers are assembled at
 * run time so that no file of the repository looks like a committed private key to a scanner;
 * tests that need a working key generate one (`test/lab`, `components/local/keys.ts`).
 */
const LABEL = ["OPENSSH", "PRIVATE", "KEY"].join(" ");

/** The opening marker line of an OpenSSH private key. */
export const PEM_BEGIN = `-----BEGIN ${LABEL}-----`;
/** The closing marker line of an OpenSSH private key. */
export const PEM_END = `-----END ${LABEL}-----`;

/** A PEM-shaped string with `body` where the key material would be. */
export function fakePrivateKey(body = "fake"): string {
  return `${PEM_BEGIN}\n${body}\n${PEM_END}\n`;
}
