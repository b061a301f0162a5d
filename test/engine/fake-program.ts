/**
 * A tiny Pulumi program for testing the program harness without hosts: one dynamic resource per
 * item of config `fake:items` (`[{ name, value, replaceKey?, dependsOn?: [names], fail? }]`),
 * whose provider records every call in `<fake:dir>/log` (one JSON line per call) and keeps each
 * resource as a file `<fake:dir>/<name>`. `lengthOf: "<item>"` makes an input (`basis`) of
 * another item's output, unknown in a preview until that item exists; `check` and `diff` log
 * whether they were given Pulumi's unknown placeholder.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** One resource the fake program declares, from its `items` config (the harness test writes these). */
export interface Item {
  name: string;
  value: string;
  replaceKey?: string;
  dependsOn?: string[];
  fail?: boolean;
  lengthOf?: string;
}

interface Props {
  dir: string;
  name: string;
  value: string;
  replaceKey: string;
  fail: boolean;
  basis?: pulumi.Input<number>;
}

const note = (dir: string, op: string, name: string, extra: Record<string, unknown> = {}): void =>
  fs.appendFileSync(path.join(dir, "log"), JSON.stringify({ op, name, at: Date.now(), ...extra }) + "\n");
/** Pulumi's unknown placeholder, as the dynamic-provider plugin hands it over. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Props, news: Props) {
    note(news.dir, "check", news.name, { unknown: Object.values(news).includes(UNKNOWN) });
    return { inputs: news };
  },
  async diff(_id: string, olds: Props, news: Props) {
    note(news.dir, "diff", news.name, { unknown: Object.values(news).includes(UNKNOWN) });
    if ((news.basis as unknown) === UNKNOWN)
      return { changes: true, replaces: [], deleteBeforeReplace: true };
    const replaces = olds.replaceKey !== news.replaceKey ? ["replaceKey"] : [];
    return { changes: replaces.length > 0 || olds.value !== news.value, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: Props) {
    note(inputs.dir, "create", inputs.name);
    // Slow enough that "after" means "after the dependency finished".
    await new Promise((r) => setTimeout(r, 150));
    if (inputs.fail) throw new Error(`refusing to create ${inputs.name}`);
    fs.writeFileSync(path.join(inputs.dir, inputs.name), inputs.value);
    return { id: inputs.name, outs: { ...inputs, length: inputs.value.length } };
  },
  async update(_id: string, _olds: Props, news: Props) {
    note(news.dir, "update", news.name);
    fs.writeFileSync(path.join(news.dir, news.name), news.value);
    return { outs: { ...news, length: news.value.length } };
  },
  async read(id: string, props: Props) {
    return fs.existsSync(path.join(props.dir, props.name)) ? { id, props } : { id: "", props: {} };
  },
  async delete(_id: string, props: Props) {
    note(props.dir, "delete", props.name);
    await new Promise((r) => setTimeout(r, 100));
    fs.rmSync(path.join(props.dir, props.name), { force: true });
  },
};

class Fake extends pulumi.dynamic.Resource {
  declare readonly length: pulumi.Output<number>;
  constructor(name: string, props: Props, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...props, length: undefined }, opts, "fake", "Item");
  }
}

const cfg = new pulumi.Config("fake");
const dir = cfg.require("dir");
const items = cfg.requireObject<Item[]>("items");
const made = new Map<string, Fake>();
for (const it of items) {
  const deps = (it.dependsOn ?? []).map((d) => {
    const r = made.get(d);
    if (!r) throw new Error(`fake program: ${it.name} depends on ${d}, declared later or not at all`);
    return r;
  });
  made.set(
    it.name,
    new Fake(
      it.name,
      {
        dir,
        name: it.name,
        value: it.value,
        replaceKey: it.replaceKey ?? "",
        fail: it.fail ?? false,
        ...(it.lengthOf ? { basis: made.get(it.lengthOf)?.length } : {}),
      },
      { dependsOn: deps },
    ),
  );
}

/** Lengths of every item's value, as the providers computed them. */
export const lengths = pulumi.all(Object.fromEntries([...made].map(([k, r]) => [k, r.length])));
