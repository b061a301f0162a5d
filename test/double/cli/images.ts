/**
 * What the docker double knows about images. There is no registry here: any image "exists", and
 * a few that the lab and the fixtures use carry the metadata Docker would read from them.
 */

export interface ImageMeta {
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  /** `80/tcp` style keys, published by `-P`. */
  ExposedPorts: string[];
  /** The container serves `GET /cgi-bin/host` (the textbook's lab/web image). */
  serves: boolean;
}

const KNOWN: Record<string, ImageMeta> = {
  "lab/web:1": {
    Entrypoint: null,
    Cmd: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"],
    ExposedPorts: ["80/tcp"],
    serves: true,
  },
  "weaveworks/weave": { Entrypoint: ["/home/weave/weaver"], Cmd: null, ExposedPorts: [], serves: false },
  "weaveworks/weaveexec": { Entrypoint: ["data-only"], Cmd: null, ExposedPorts: [], serves: false },
  "weaveworks/weavedb": { Entrypoint: ["data-only"], Cmd: null, ExposedPorts: [], serves: false },
  "rajch/weave": { Entrypoint: ["/home/weave/weaver"], Cmd: null, ExposedPorts: [], serves: false },
  "rajch/weaveexec": { Entrypoint: ["data-only"], Cmd: null, ExposedPorts: [], serves: false },
  "rajch/weavedb": { Entrypoint: ["data-only"], Cmd: null, ExposedPorts: [], serves: false },
};

/** Docker's normalisation: a missing tag means `:latest`. */
export function normaliseImage(image: string): string {
  const lastSlash = image.lastIndexOf("/");
  return image.slice(lastSlash + 1).includes(":") || image.includes("@") ? image : `${image}:latest`;
}

export function imageMeta(image: string): ImageMeta {
  const full = normaliseImage(image);
  const repo = full.replace(/:[^/:]*$/, "");
  return (
    KNOWN[full] ?? KNOWN[repo] ?? { Entrypoint: null, Cmd: ["/bin/sh"], ExposedPorts: [], serves: false }
  );
}
