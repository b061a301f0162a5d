/**
 * Pulumi's function serialiser rewrites `class … extends Error`, and the message of such an error
 * thrown from a serialised dynamic provider reaches the user as "[object Object]". The errors our
 * providers throw are therefore made by factories; this proves their messages survive.
 */
import type * as pulumi from "@pulumi/pulumi";
import { runSerialized, serializeProvider } from "../engine/serialize";
import { containerError } from "../../components/providers/container-diff";
import { routerError } from "../../components/providers/router-status";
import { parseReport } from "../../components/weave/report";

it("errors thrown inside serialised providers keep their messages in a fresh process", async () => {
  const provider = {
    async create() {
      throw containerError("docker1", "web1: `weave attach` did not finish in 3 s");
    },
    async diff() {
      throw routerError("docker2", "weave launch failed (exit 1)");
    },
    async read() {
      parseReport('{"Version": "2.8.1", "VersionCheck": null, "Router": {"Protocol": 7}}');
      return { id: "x", props: {} };
    },
  } as unknown as pulumi.dynamic.ResourceProvider;
  const text = await serializeProvider(provider);
  await expect(runSerialized(text, "create", [{}])).rejects.toThrow(
    "docker1: web1: `weave attach` did not finish in 3 s",
  );
  await expect(runSerialized(text, "diff", ["id", {}, {}])).rejects.toThrow(
    "docker2: weave launch failed (exit 1)",
  );
  await expect(runSerialized(text, "read", ["id", {}])).rejects.toThrow(
    /report \$\.Router\.Protocol: expected a string, got 7/,
  );
}, 120000);
