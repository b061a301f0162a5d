import { readFixture } from "../../fixtures";
import { maskVolatile, normalise, normaliseDockerPs } from "./mask";

const peers = ["3e:a2:4a:17:e0:d9", "56:ff:8d:9e:da:f9"];

describe("normalising outputs for the faithfulness replay", () => {
  test("container ids, container MACs and ephemeral ports are masked but peer names are kept", () => {
    const s = maskVolatile(
      "af61036d0238 da:20:0f:28:52:ca 3e:a2:4a:17:e0:d9 10.10.10.102:38285 10.10.10.101:6783",
      { peerNames: peers },
    );
    expect(s).toBe("<SHORTID> <MAC> 3e:a2:4a:17:e0:d9 10.10.10.102:<PORT> 10.10.10.101:6783");
  });

  test("the version-check parenthetical compares equal whether the check failed or was disabled", () => {
    const a = maskVolatile(
      "        Version: 2.8.1 (failed to check latest version - see logs; next check at 2026/11/28 07:45:17)",
      { peerNames: [] },
    );
    const b = maskVolatile("        Version: 2.8.1 (version check update disabled)", { peerNames: [] });
    expect(a).toBe(b);
    expect(
      maskVolatile("        Version: 2.9.0 (version check update disabled)", { peerNames: [] }),
    ).not.toBe(b);
  });

  test("non-local ipam lines compare in any order, the local line must stay first", () => {
    const a = "X(d1) 1 (1 active)\nY(d2) 2 \nZ(d3) 3 \n";
    const b = "X(d1) 1 (1 active)\nZ(d3) 3 \nY(d2) 2 \n";
    const c = "Y(d2) 2 \nX(d1) 1 (1 active)\nZ(d3) 3 \n";
    expect(normalise("weave status ipam", a, { peerNames: [] })).toBe(
      normalise("weave status ipam", b, { peerNames: [] }),
    );
    expect(normalise("weave status ipam", a, { peerNames: [] })).not.toBe(
      normalise("weave status ipam", c, { peerNames: [] }),
    );
  });

  test("a docker ps table keeps images, commands, names and states but not ages or widths", () => {
    const real = readFixture("01-docker1-docker-ps-a.txt").stdout;
    const narrower = real
      .replace(/2 seconds ago  /, "1 second ago   ")
      .replace(/3 seconds ago/g, "1 second ago ");
    expect(normaliseDockerPs(narrower)).toBe(normaliseDockerPs(real));
    expect(normaliseDockerPs(real)).toContain(
      'weaveworks/weave:2.8.1 | "/home/weave/weaver …" | <AGO> | Up <DUR> |  | weave',
    );
    expect(normaliseDockerPs(real.replace("Created ", "Exited  "))).not.toBe(normaliseDockerPs(real));
  });

  test("round-robin names hide which address answered, fixed addresses stay exact", () => {
    expect(normalise("docker exec web2 ping -c 3 web1", "PING web1 (172.16.16.224)", { peerNames: [] })).toBe(
      "PING web1 (<WEAVE-IP>)",
    );
    expect(
      normalise("docker exec web1 ping -c 3 172.16.16.128", "PING 172.16.16.128 (172.16.16.128)", {
        peerNames: [],
      }),
    ).toBe("PING 172.16.16.128 (172.16.16.128)");
  });
});
