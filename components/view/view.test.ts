import * as fc from "fast-check";
import { findAll, parseXml, XmlElement } from "../../test/unit/view-xml";
import type { LabPlan } from "../model/plan";
import { intToIpv4, ipv4ToInt, parseCidr, RangeView, unownedSpans } from "./model";
import { shareOf, viewFromPlan } from "./from-plan";
import { LAYOUT, packRows, shortAddress } from "./layout";
import { renderRangeSvg } from "./svg";
import { renderRangeTable } from "./table";

const textbook: RangeView = {
  range: "172.16.16.0/24",
  hosts: [
    { name: "docker1", peerName: "02:00:00:00:00:01", shares: [shareOf("172.16.16.0/26")] },
    { name: "docker2", peerName: "02:00:00:00:00:02", shares: [shareOf("172.16.16.64/26")] },
    { name: "docker3", peerName: "02:00:00:00:00:03", shares: [shareOf("172.16.16.128/26")] },
    { name: "docker4", peerName: "02:00:00:00:00:04", shares: [shareOf("172.16.16.192/26")] },
  ],
  containers: [
    { name: "web1", host: "docker1", ip: "172.16.16.1" },
    { name: "web2", host: "docker2", ip: "172.16.16.65" },
    { name: "web1", host: "docker3", ip: "172.16.16.129/24" },
  ],
};

const num = (e: XmlElement, a: string): number => Number(e.attrs[a]);
const shares = (svg: XmlElement): XmlElement[] =>
  findAll(svg, (e) => e.name === "rect" && e.attrs.class === "share");
const texts = (svg: XmlElement): string[] => findAll(svg, (e) => e.name === "text").map((e) => e.text);

describe("address helpers", () => {
  it("convert addresses both ways, including the top of the address space", () => {
    expect(ipv4ToInt("172.16.16.65")).toBe(172 * 2 ** 24 + 16 * 2 ** 16 + 16 * 256 + 65);
    expect(intToIpv4(ipv4ToInt("255.255.255.255"))).toBe("255.255.255.255");
    expect(() => ipv4ToInt("300.1.1.1")).toThrow("not an IPv4 address: '300.1.1.1'");
  });
  it("mask host bits of a CIDR and report its size", () => {
    expect(parseCidr("10.32.0.5/12")).toEqual({
      first: ipv4ToInt("10.32.0.0"),
      last: ipv4ToInt("10.47.255.255"),
      size: 2 ** 20,
    });
    expect(shareOf("172.16.16.64/26")).toEqual({
      cidr: "172.16.16.64/26",
      start: "172.16.16.64",
      end: "172.16.16.127",
      size: 64,
    });
  });
  it("find the gaps nobody owns", () => {
    const v: RangeView = { ...textbook, hosts: [textbook.hosts[1], textbook.hosts[3]] };
    expect(unownedSpans(v).map((g) => [intToIpv4(g.first), g.size])).toEqual([
      ["172.16.16.0", 64],
      ["172.16.16.128", 64],
    ]);
  });
  it("shorten an address to the octets that differ from the range start", () => {
    expect(shortAddress(ipv4ToInt("172.16.16.64"), ipv4ToInt("172.16.16.0"))).toBe(".64");
    expect(shortAddress(ipv4ToInt("10.40.0.0"), ipv4ToInt("10.32.0.0"))).toBe(".40.0.0");
  });
});

describe("the test XML reader", () => {
  it("rejects malformed documents, so the SVG tests can fail", () => {
    expect(() => parseXml("<svg><g></svg>")).toThrow("closes <g>");
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow("duplicate attribute");
    expect(() => parseXml("<svg>a & b</svg>")).toThrow("raw '<' or '&'");
    expect(() => parseXml("<svg><text>x</text>")).toThrow("unclosed <svg>");
    expect(parseXml('<svg x="1"><t>a &amp; b</t></svg>').text).toBe("a & b");
  });
});

describe("renderRangeSvg", () => {
  it("is a well-formed SVG document with a title", () => {
    const svg = parseXml(renderRangeSvg(textbook));
    expect(svg.name).toBe("svg");
    expect(svg.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    expect(findAll(svg, (e) => e.name === "title")[0].text).toBe("Weave allocation range 172.16.16.0/24");
  });

  it("draws each host's share at a position and width proportional to its addresses", () => {
    const svg = parseXml(renderRangeSvg(textbook));
    const rects = shares(svg);
    expect(rects.map((r) => r.attrs["data-host"])).toEqual(["docker1", "docker2", "docker3", "docker4"]);
    rects.forEach((r, i) => {
      expect(num(r, "x")).toBeCloseTo(LAYOUT.left + (i * LAYOUT.barWidth) / 4, 1);
      expect(num(r, "width")).toBeCloseTo(LAYOUT.barWidth / 4, 1);
    });
    // Different hosts get different colours.
    expect(new Set(rects.map((r) => r.attrs.fill)).size).toBe(4);
  });

  it("labels every segment with its host and CIDR and lists peer names and shares in the legend", () => {
    const all = texts(parseXml(renderRangeSvg(textbook)));
    for (const h of textbook.hosts) {
      expect(all).toContain(h.name);
      expect(all).toContain(h.shares[0].cidr);
      expect(all.some((t) => t.includes(h.peerName) && t.includes("64 addresses (25.0%)"))).toBe(true);
    }
  });

  it("marks container addresses as ticks labelled with their names", () => {
    const svg = parseXml(renderRangeSvg(textbook));
    const ticks = findAll(svg, (e) => e.attrs.class === "tick");
    expect(ticks.map((t) => [t.attrs["data-container"], t.attrs["data-ip"]])).toEqual([
      ["web1", "172.16.16.1"],
      ["web2", "172.16.16.65"],
      ["web1", "172.16.16.129"],
    ]);
    const x65 = LAYOUT.left + (65.5 / 256) * LAYOUT.barWidth;
    expect(num(ticks[1], "x1")).toBeCloseTo(x65, 1);
    const labels = findAll(svg, (e) => e.attrs.class === "clabel").map((e) => e.text);
    expect(labels.some((t) => t.includes("web2 .65"))).toBe(true);
    expect(labels.some((t) => t.includes("web1 .129"))).toBe(true);
  });

  it("hatches unowned space and names it in the legend", () => {
    const v: RangeView = { ...textbook, hosts: [textbook.hosts[0], { ...textbook.hosts[1], shares: [] }] };
    const svg = parseXml(renderRangeSvg(v));
    const gaps = findAll(svg, (e) => e.attrs.class === "unowned");
    expect(gaps.map((g) => [g.attrs["data-start"], g.attrs["data-size"]])).toEqual([["172.16.16.64", "192"]]);
    expect(num(gaps[0], "width")).toBeCloseTo((192 / 256) * LAYOUT.barWidth, 1);
    const all = texts(svg);
    expect(all.some((t) => t.includes("unowned") && t.includes("192 addresses (75.0%)"))).toBe(true);
    expect(all.some((t) => t.includes("docker2") && t.includes("no share"))).toBe(true);
  });

  it("puts labels of segments too narrow for them above the bar", () => {
    const v: RangeView = {
      range: "172.16.16.0/24",
      hosts: [
        { name: "docker1", peerName: "02:00:00:00:00:01", shares: [shareOf("172.16.16.0/25")] },
        { name: "docker2", peerName: "02:00:00:00:00:02", shares: [shareOf("172.16.16.128/28")] },
      ],
      containers: [],
    };
    const svg = parseXml(renderRangeSvg(v));
    const outside = findAll(svg, (e) => e.name === "text" && (e.attrs.class ?? "").includes("outside"));
    expect(outside.map((e) => e.text)).toEqual(["docker2 172.16.16.128/28"]);
    expect(num(outside[0], "y")).toBeLessThan(LAYOUT.barY);
  });

  it("lists containers outside the range in a note instead of drawing them", () => {
    const v: RangeView = { ...textbook, containers: [{ name: "wrongip", host: "docker1", ip: "1.1.1.1" }] };
    const svg = parseXml(renderRangeSvg(v));
    expect(findAll(svg, (e) => e.attrs.class === "tick")).toHaveLength(0);
    expect(
      texts(svg).some((t) => t.includes("Outside the range") && t.includes("wrongip@docker1 1.1.1.1")),
    ).toBe(true);
  });

  it("escapes names so markup in them cannot break the document", () => {
    const v: RangeView = {
      ...textbook,
      title: `a <b> & "c"`,
      containers: [{ name: "x<y", host: "docker1", ip: "172.16.16.9" }],
    };
    const svg = parseXml(renderRangeSvg(v));
    expect(findAll(svg, (e) => e.name === "title")[0].text).toBe(`a <b> & "c"`);
    expect(findAll(svg, (e) => e.attrs.class === "tick")[0].attrs["data-container"]).toBe("x<y");
  });

  it("keeps every segment proportional for any CIDR-aligned split (property)", () => {
    // A random recursive halving of a random range among a few hosts, like Weave's ring.
    const split = fc
      .tuple(
        fc.integer({ min: 8, max: 24 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
      )
      .map(([prefix, owners]) => {
        const base = ipv4ToInt("10.0.0.0");
        const size = 2 ** (32 - prefix);
        const pieces: { first: number; size: number }[] = [{ first: base, size }];
        for (let i = 1; i < owners.length && pieces[0].size > 1; i++) {
          const p = pieces.shift()!;
          pieces.push(
            { first: p.first, size: p.size / 2 },
            { first: p.first + p.size / 2, size: p.size / 2 },
          );
        }
        return { prefix, size, pieces: pieces.map((p, i) => ({ ...p, owner: owners[i % owners.length] })) };
      });
    fc.assert(
      fc.property(split, ({ prefix, size, pieces }) => {
        const hosts = [0, 1, 2, 3].map((o) => ({
          name: `h${o}`,
          peerName: `02:00:00:00:00:0${o}`,
          shares: pieces
            .filter((p) => p.owner === o)
            .map((p) => shareOf(`${intToIpv4(p.first)}/${32 - Math.log2(p.size)}`)),
        }));
        const svg = parseXml(renderRangeSvg({ range: `10.0.0.0/${prefix}`, hosts, containers: [] }));
        const rects = shares(svg);
        expect(rects).toHaveLength(pieces.length);
        let total = 0;
        for (const r of rects) {
          const s = parseCidr(r.attrs["data-cidr"]);
          expect(num(r, "x")).toBeCloseTo(
            LAYOUT.left + ((s.first - ipv4ToInt("10.0.0.0")) / size) * LAYOUT.barWidth,
            1,
          );
          expect(num(r, "width")).toBeCloseTo((s.size / size) * LAYOUT.barWidth, 1);
          total += num(r, "width");
        }
        expect(total).toBeCloseTo(LAYOUT.barWidth, 0);
      }),
      { numRuns: 60 },
    );
  });
});

describe("packRows", () => {
  it("never lets two labels in one row overlap (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.integer({ min: 0, max: 900 }), w: fc.integer({ min: 1, max: 200 }) }), {
          maxLength: 40,
        }),
        (items) => {
          const rows = packRows(items, 6);
          for (let i = 0; i < items.length; i++) {
            for (let j = i + 1; j < items.length; j++) {
              if (rows[i] !== rows[j]) continue;
              const [a, b] = items[i].x <= items[j].x ? [items[i], items[j]] : [items[j], items[i]];
              expect(a.x + a.w + 6).toBeLessThanOrEqual(b.x);
            }
          }
        },
      ),
    );
  });
});

describe("renderRangeTable", () => {
  it("prints one line per piece in address order, totals per host and each container's owner", () => {
    const v: RangeView = {
      ...textbook,
      hosts: [
        { ...textbook.hosts[0], shares: [shareOf("172.16.16.0/25"), shareOf("172.16.16.192/26")] },
        { ...textbook.hosts[1], shares: [shareOf("172.16.16.128/27")] },
        { ...textbook.hosts[2], shares: [] },
      ],
      containers: [...textbook.containers, { name: "wrongip", host: "docker1", ip: "1.1.1.1" }],
    };
    expect(renderRangeTable(v)).toBe(
      [
        "Range 172.16.16.0/24: 256 addresses, 172.16.16.0 - 172.16.16.255",
        "",
        "HOST       PEER NAME          SHARE             FIRST          LAST           SIZE  OF RANGE",
        "docker1    02:00:00:00:00:01  172.16.16.0/25    172.16.16.0    172.16.16.127  128   50.0%",
        "docker2    02:00:00:00:00:02  172.16.16.128/27  172.16.16.128  172.16.16.159  32    12.5%",
        "(unowned)                                       172.16.16.160  172.16.16.191  32    12.5%",
        "docker1    02:00:00:00:00:01  172.16.16.192/26  172.16.16.192  172.16.16.255  64    25.0%",
        "docker3    02:00:00:00:00:03  (none)                                          0     0.0%",
        "",
        "HOST     ADDRESSES  OF RANGE  CONTAINERS",
        "docker1  192        75.0%     2",
        "docker2  32         12.5%     1",
        "docker3  0          0.0%      1",
        "",
        "CONTAINER  HOST     IP             OWNER OF ADDRESS",
        "wrongip    docker1  1.1.1.1        outside the range (not tracked)",
        "web1       docker1  172.16.16.1    docker1",
        "web2       docker2  172.16.16.65   docker1",
        "web1       docker3  172.16.16.129  docker2",
        "",
      ].join("\n"),
    );
  });
});

describe("viewFromPlan", () => {
  it("shows the predicted shares and only the statically addressed containers", () => {
    const plan = {
      name: "lab",
      network: { allocRange: "172.16.16.0/24" },
      hosts: [
        { name: "docker1", peerName: "02:00:00:00:00:01", predictedShare: [shareOf("172.16.16.0/25")] },
        { name: "docker2", peerName: "02:00:00:00:00:02" },
      ],
      containers: [
        { name: "web1", host: "docker1", addressing: { kind: "dynamic", subnet: "172.16.16.0/24" } },
        {
          name: "fixed",
          host: "docker2",
          addressing: { kind: "static", cidr: "172.16.16.200/24", insideRange: true },
        },
      ],
    } as unknown as LabPlan;
    expect(viewFromPlan(plan)).toEqual({
      range: "172.16.16.0/24",
      title: "lab: predicted split of 172.16.16.0/24",
      hosts: [
        { name: "docker1", peerName: "02:00:00:00:00:01", shares: [shareOf("172.16.16.0/25")] },
        { name: "docker2", peerName: "02:00:00:00:00:02", shares: [] },
      ],
      containers: [{ name: "fixed", host: "docker2", ip: "172.16.16.200" }],
    });
  });
});
