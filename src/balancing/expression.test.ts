import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIELDS, MAX_EXPRESSION_BYTES, MAX_NESTING_DEPTH, parseExpression, type Expression, type ExpressionClient, type ExpressionInput } from "./expression.js";

// --- helpers -----------------------------------------------------------------------------------

const v4 = (text: string, bits = 32): ExpressionClient => ({ family: 4, bytes: Uint8Array.from(text.split(".").map(Number)), bits });
const v6 = (hex: string, bits = 128): ExpressionClient => ({ family: 6, bytes: Uint8Array.from(Buffer.from(hex.padEnd(32, "0"), "hex")), bits });

interface Overrides {
  qname?: string;
  qtype?: number;
  client?: ExpressionClient;
  loadBalancer?: string;
  region?: string | null;
  country?: string | null;
  ecs?: { address: string } | null;
}

/** An input, counting location() calls. */
function input(o: Overrides = {}): ExpressionInput & { calls: number } {
  const x = {
    qname: o.qname ?? "www.example.com",
    qtype: o.qtype ?? 1,
    client: o.client ?? v4("198.51.100.7"),
    loadBalancer: o.loadBalancer ?? "lb.example.com",
    ecs: o.ecs === undefined ? null : o.ecs,
    calls: 0,
    location() {
      x.calls++;
      return { region: o.region === undefined ? "WEU" : o.region, country: o.country === undefined ? "DE" : o.country };
    },
  };
  return x;
}

function parse(text: string): Expression {
  const r = parseExpression(text);
  if (!r.ok) throw new Error(`${text}: ${r.message} at ${r.offset}`);
  return r.expression;
}

function failure(text: string): { message: string; offset: number } {
  const r = parseExpression(text);
  if (r.ok) throw new Error(`${text}: parsed, expected an error`);
  return { message: r.message, offset: r.offset };
}

const run = (text: string, o: Overrides = {}): boolean => parse(text).evaluate(input(o));

// --- fields ------------------------------------------------------------------------------------

describe("fields", () => {
  it("lists exactly the documented DNS-only fields with their types", () => {
    expect(Object.fromEntries([...FIELDS].map(([f, i]) => [f, i.type]))).toEqual({
      "cf.load_balancer.name": "String",
      "cf.load_balancer.region": "String",
      "ip.src": "IP address",
      "dns.qry.name": "String",
      "dns.qry.name.len": "Integer",
      "dns.qry.qu": "Boolean",
      "dns.qry.type": "Integer",
      "dns.rr.opt.client": "Boolean",
      "dns.rr.opt.client.addr": "String",
    });
  });

  it("dns.qry.type is the numeric query type", () => {
    expect(run("dns.qry.type == 28", { qtype: 28 })).toBe(true);
    expect(run("dns.qry.type == 28", { qtype: 1 })).toBe(false);
    expect(run("dns.qry.type eq 1", { qtype: 1 })).toBe(true);
    expect(run("dns.qry.type in {1 28}", { qtype: 28 })).toBe(true);
    expect(run("dns.qry.type in {1 28}", { qtype: 5 })).toBe(false);
    expect(run("dns.qry.type in {2..6}", { qtype: 5 })).toBe(true);
    expect(run("dns.qry.type in {2..6}", { qtype: 28 })).toBe(false);
    expect(run("dns.qry.type in {}", { qtype: 28 })).toBe(false);
    // wirefilter's integer forms: 0x hexadecimal, 0-led octal, negative decimal.
    expect(run("dns.qry.type == 0x1c", { qtype: 28 })).toBe(true);
    expect(run("dns.qry.type == 034", { qtype: 28 })).toBe(true);
    expect(run("dns.qry.type > -1", { qtype: 0 })).toBe(true);
  });

  it("dns.qry.name is the query name with its trailing dot; equality takes either form, any case", () => {
    expect(run('dns.qry.name == "www.example.com."')).toBe(true);
    expect(run('dns.qry.name == "www.example.com"')).toBe(true);
    expect(run('dns.qry.name == "WWW.Example.COM"')).toBe(true);
    expect(run('dns.qry.name == "example.com"')).toBe(false);
    expect(run('dns.qry.name != "example.com"')).toBe(true);
    expect(run('dns.qry.name in {"a.example.com" "www.example.com."}')).toBe(true);
    expect(run('dns.qry.name in {"a.example.com" "b.example.com."}')).toBe(false);
    expect(run('dns.qry.name == ""')).toBe(false);
    expect(run('dns.qry.name == "."', { qname: "" })).toBe(true);
  });

  it("dns.qry.name contains, wildcard and ordering see the trailing dot", () => {
    expect(run('dns.qry.name contains "example.com."')).toBe(true);
    expect(run('dns.qry.name contains "m."')).toBe(true);
    expect(run('dns.qry.name contains "w.e"')).toBe(true);
    expect(run('dns.qry.name contains "."', { qname: "" })).toBe(true);
    expect(run('dns.qry.name contains "api"')).toBe(false);
    expect(run('dns.qry.name wildcard "*.example.com."')).toBe(true);
    expect(run('dns.qry.name wildcard "*.example.com"')).toBe(false);
    expect(run('dns.qry.name wildcard "*.EXAMPLE.com."')).toBe(true);
    expect(run('dns.qry.name wildcard "w*w*.*com."')).toBe(true);
    expect(run('dns.qry.name wildcard "*api*"')).toBe(false);
    expect(run('dns.qry.name strict wildcard "www.*"')).toBe(true);
    expect(run('dns.qry.name > "www.example.com"')).toBe(true); // "www.example.com." sorts after its prefix
    expect(run('dns.qry.name lt "www.example.com/"')).toBe(true); // "." < "/"
    expect(run('dns.qry.name le "www.example.com."')).toBe(true);
    expect(run('dns.qry.name ge "www.example.com.."')).toBe(false);
  });

  it("dns.qry.name.len is the length in bytes of the name with its dot", () => {
    expect(run("dns.qry.name.len == 16")).toBe(true);
    expect(run("dns.qry.name.len > 16")).toBe(false);
    expect(run("dns.qry.name.len == 1", { qname: "" })).toBe(true);
  });

  it("dns.qry.qu is always true for a query", () => {
    expect(run("dns.qry.qu")).toBe(true);
    expect(run("not dns.qry.qu")).toBe(false);
  });

  it("dns.rr.opt.client and dns.rr.opt.client.addr follow the query's ECS option", () => {
    expect(run("dns.rr.opt.client")).toBe(false);
    expect(run("dns.rr.opt.client", { ecs: { address: "192.0.2.0" } })).toBe(true);
    expect(run('dns.rr.opt.client.addr == "192.0.2.0"', { ecs: { address: "192.0.2.0" } })).toBe(true);
    expect(run('dns.rr.opt.client.addr == "192.0.2.0"')).toBe(false);
    expect(run('dns.rr.opt.client.addr == ""')).toBe(true);
    // An IP written in another form compares in canonical form.
    expect(run('dns.rr.opt.client.addr == "2001:DB8:0::"', { ecs: { address: "2001:db8::" } })).toBe(true);
    expect(run('dns.rr.opt.client.addr contains "2001:db8"', { ecs: { address: "2001:db8::" } })).toBe(true);
  });

  it("cf.load_balancer.name is the load balancer's name, with or without a trailing dot", () => {
    expect(run('cf.load_balancer.name == "lb.example.com"')).toBe(true);
    expect(run('cf.load_balancer.name == "lb.example.com."')).toBe(true);
    expect(run('cf.load_balancer.name eq "other.example.com"')).toBe(false);
    expect(run('cf.load_balancer.name contains "lb."')).toBe(true);
  });

  it("cf.load_balancer.region asks location() lazily, at most once per evaluation", () => {
    const e = parse('cf.load_balancer.region == "ENAM" or cf.load_balancer.region in {"WEU" "EEU"}');
    const x = input({ region: "WEU" });
    expect(e.evaluate(x)).toBe(true);
    expect(x.calls).toBe(1);
    expect(e.evaluate(x)).toBe(true);
    expect(x.calls).toBe(2);
    const y = input({ region: "NEAS" });
    expect(e.evaluate(y)).toBe(false);
    expect(y.calls).toBe(1);
    // Not asked when not needed, or not reached.
    const z = input();
    expect(parse("dns.qry.type == 1").evaluate(z)).toBe(true);
    expect(parse('dns.qry.type == 1 or cf.load_balancer.region == "WEU"').evaluate(z)).toBe(true);
    expect(z.calls).toBe(0);
    // An unknown region is "".
    expect(run('cf.load_balancer.region == ""', { region: null })).toBe(true);
    expect(run('cf.load_balancer.region wildcard "w*"', { region: "WEU" })).toBe(true);
    expect(run('cf.load_balancer.region strict wildcard "w*"', { region: "WEU" })).toBe(false);
    expect(run('cf.load_balancer.region < "X"', { region: "WEU" })).toBe(true);
  });

  it("reports the fields used and whether the client matters", () => {
    const e = parse('dns.qry.type == 1 and (ip.src in {10.0.0.0/8} or not dns.rr.opt.client)');
    expect([...e.fields].sort()).toEqual(["dns.qry.type", "dns.rr.opt.client", "ip.src"]);
    expect(e.usesClient).toBe(true);
    expect(e.text).toBe('dns.qry.type == 1 and (ip.src in {10.0.0.0/8} or not dns.rr.opt.client)');
    expect(parse('dns.qry.type == 1 and dns.rr.opt.client').usesClient).toBe(false);
    expect(parse('cf.load_balancer.region == "WEU"').usesClient).toBe(true);
    expect(parse('dns.rr.opt.client.addr == "1.2.3.0"').usesClient).toBe(true);
    expect(parse('dns.qry.name == "a." and cf.load_balancer.name == "b"').usesClient).toBe(false);
  });

  it("an empty condition is always true", () => {
    for (const text of ["", "   ", "\n"]) {
      const e = parse(text);
      expect(e.evaluate(input())).toBe(true);
      expect(e.fields.size).toBe(0);
      expect(e.usesClient).toBe(false);
    }
  });
});

// --- ip.src ------------------------------------------------------------------------------------

describe("ip.src", () => {
  it("matches addresses, CIDRs and ranges of its family", () => {
    expect(run("ip.src == 198.51.100.7")).toBe(true);
    expect(run("ip.src eq 198.51.100.8")).toBe(false);
    expect(run("ip.src != 198.51.100.8")).toBe(true);
    expect(run("ip.src ne 198.51.100.7")).toBe(false);
    expect(run("ip.src in {10.0.0.0/8 198.51.100.0/24}")).toBe(true);
    expect(run("ip.src in {10.0.0.0/8 2001:db8::/32}")).toBe(false);
    expect(run("ip.src in {198.51.100.7}")).toBe(true);
    expect(run("ip.src in {198.51.100.3..198.51.100.9}")).toBe(true);
    expect(run("ip.src in {198.51.100.8..198.51.100.9}")).toBe(false);
    expect(run("ip.src in {0.0.0.0/0}")).toBe(true);
    expect(run("ip.src in {::/0}")).toBe(false);
    const c = v6("20010db8000000000000000000000001");
    expect(run("ip.src in {10.0.0.0/8 2001:db8::/32}", { client: c })).toBe(true);
    expect(run("ip.src == 2001:db8::1", { client: c })).toBe(true);
    expect(run("ip.src == 2001:0DB8:0:0::1", { client: c })).toBe(true);
    expect(run("ip.src in {2001:db8::..2001:db8::ff}", { client: c })).toBe(true);
    expect(run("ip.src in {0.0.0.0/0}", { client: c })).toBe(false);
    expect(run("ip.src in {::ffff:0:0/96}", { client: c })).toBe(false);
  });

  it("matches a CIDR only when the ECS prefix knows at least its bits", () => {
    const ecs16 = v4("192.0.0.0", 16);
    expect(run("ip.src in {192.0.0.0/16}", { client: ecs16 })).toBe(true);
    expect(run("ip.src in {192.0.0.0/12}", { client: ecs16 })).toBe(true);
    expect(run("ip.src in {192.0.2.0/24}", { client: ecs16 })).toBe(false);
    expect(run("not ip.src in {192.0.2.0/24}", { client: ecs16 })).toBe(true);
    expect(run("ip.src in {193.0.0.0/16}", { client: ecs16 })).toBe(false);
    // Equality needs every bit.
    expect(run("ip.src == 192.0.0.0", { client: ecs16 })).toBe(false);
    expect(run("ip.src != 192.0.0.0", { client: ecs16 })).toBe(true);
    expect(run("ip.src in {192.0.0.0}", { client: ecs16 })).toBe(false);
    // A range holds the subnet only if it holds all of it.
    expect(run("ip.src in {192.0.0.0..192.0.255.255}", { client: ecs16 })).toBe(true);
    expect(run("ip.src in {191.0.0.0..192.1.0.0}", { client: ecs16 })).toBe(true);
    expect(run("ip.src in {192.0.0.0..192.0.2.255}", { client: ecs16 })).toBe(false);
    expect(run("ip.src in {192.0.0.1..192.0.255.255}", { client: ecs16 })).toBe(false);
    // Bits past the known prefix are ignored, whatever the bytes hold.
    expect(run("ip.src in {192.0.0.0/16}", { client: v4("192.0.77.1", 16) })).toBe(true);
    expect(run("ip.src in {192.0.77.0/24}", { client: v4("192.0.77.1", 16) })).toBe(false);
    // Partial bytes: a /20 known, a /22 asked.
    expect(run("ip.src in {10.1.16.0/20}", { client: v4("10.1.16.0", 20) })).toBe(true);
    expect(run("ip.src in {10.1.16.0/22}", { client: v4("10.1.16.0", 20) })).toBe(false);
    expect(run("ip.src in {10.1.0.0/19}", { client: v4("10.1.16.0", 20) })).toBe(true);
    expect(run("ip.src in {10.1.32.0/19}", { client: v4("10.1.16.0", 20) })).toBe(false);
    // IPv6 /56 ECS.
    const c = v6("20010db8aabbcc", 56);
    expect(run("ip.src in {2001:db8:aabb::/48}", { client: c })).toBe(true);
    expect(run("ip.src in {2001:db8:aabb:cc00::/56}", { client: c })).toBe(true);
    expect(run("ip.src in {2001:db8:aabb:cc00::/64}", { client: c })).toBe(false);
    // Nothing known: only /0 matches.
    expect(run("ip.src in {0.0.0.0/0}", { client: v4("0.0.0.0", 0) })).toBe(true);
    expect(run("ip.src in {0.0.0.0/1}", { client: v4("0.0.0.0", 0) })).toBe(false);
  });
});

// --- operators and precedence ------------------------------------------------------------------

describe("operators", () => {
  const T = "dns.qry.qu";
  const F = "dns.rr.opt.client"; // no ECS in the default input

  it("has English and C-like forms of every operator", () => {
    const pairs: [string, string, number, boolean][] = [
      ["==", "eq", 28, true], ["!=", "ne", 28, false], ["<", "lt", 29, true], ["<=", "le", 28, true],
      [">", "gt", 28, false], [">=", "ge", 28, true],
    ];
    for (const [c, e, n, want] of pairs) {
      expect(run(`dns.qry.type ${c} ${n}`, { qtype: 28 }), c).toBe(want);
      expect(run(`dns.qry.type ${e} ${n}`, { qtype: 28 }), e).toBe(want);
    }
    for (const [c, e] of [["&&", "and"], ["||", "or"], ["^^", "xor"]] as const) {
      const table = (op: string) => [run(`${T} ${op} ${T}`), run(`${T} ${op} ${F}`), run(`${F} ${op} ${T}`), run(`${F} ${op} ${F}`)];
      expect(table(c)).toEqual(table(e));
    }
    expect([run(`${T} and ${T}`), run(`${T} and ${F}`), run(`${F} and ${F}`)]).toEqual([true, false, false]);
    expect([run(`${T} or ${F}`), run(`${F} or ${T}`), run(`${F} or ${F}`)]).toEqual([true, true, false]);
    expect([run(`${T} xor ${T}`), run(`${T} xor ${F}`), run(`${F} xor ${F}`)]).toEqual([false, true, false]);
    expect([run(`not ${T}`), run(`!${T}`), run(`! ${F}`), run(`not not ${T}`), run(`not(${F})`)]).toEqual([false, false, true, true, true]);
  });

  it("binds not, then and, then xor, then or", () => {
    // and before or: T or (F and F), not (T or F) and F.
    expect(run(`${T} or ${F} and ${F}`)).toBe(true);
    expect(run(`${F} and ${F} or ${T}`)).toBe(true);
    // not before and: (not F) and F, not not (F and F).
    expect(run(`not ${F} and ${F}`)).toBe(false);
    expect(run(`! ${F} && ${T}`)).toBe(true);
    // and before xor: T xor (T and F).
    expect(run(`${T} xor ${T} and ${F}`)).toBe(true);
    expect(run(`${T} and ${F} xor ${T}`)).toBe(true);
    // xor before or: T or (T xor T), (T xor T) or F is false.
    expect(run(`${T} or ${T} xor ${T}`)).toBe(true);
    expect(run(`${T} xor ${T} or ${F}`)).toBe(false);
    expect(run(`${T} ^^ ${T} || ${F}`)).toBe(false);
    // Parentheses override.
    expect(run(`(${T} or ${T}) xor ${T}`)).toBe(false);
    expect(run(`${T} and (${F} or ${T})`)).toBe(true);
    expect(run(`not (${F} or ${T})`)).toBe(false);
    // Chains.
    expect(run(`${T} xor ${T} xor ${T}`)).toBe(true);
    expect(run(`${F} or ${F} or ${F} or ${T}`)).toBe(true);
    expect(run(`${T} and ${T} and ${T} and ${F}`)).toBe(false);
  });

  it("reads quoted strings with escapes, and raw strings", () => {
    const lb = (name: string) => ({ loadBalancer: name });
    expect(run('cf.load_balancer.name == "a\\"b"', lb('a"b'))).toBe(true);
    expect(run('cf.load_balancer.name == "a\\\\b"', lb("a\\b"))).toBe(true);
    expect(run('cf.load_balancer.name == "\\x61\\142c"', lb("abc"))).toBe(true);
    expect(run('cf.load_balancer.name == "\\xc3\\xa9"', lb("é"))).toBe(true);
    expect(run('cf.load_balancer.name == r"a\\b"', lb("a\\b"))).toBe(true);
    expect(run('cf.load_balancer.name == r#"a"b"#', lb('a"b'))).toBe(true);
    expect(run('cf.load_balancer.name == r##"a"#b"##', lb('a"#b'))).toBe(true);
    expect(run('cf.load_balancer.name == "(x)" and dns.qry.qu', lb("(x)"))).toBe(true);
  });

  it("reads wildcard escapes", () => {
    const lb = (name: string) => ({ loadBalancer: name });
    expect(run('cf.load_balancer.name wildcard r"a\\*b"', lb("a*b"))).toBe(true);
    expect(run('cf.load_balancer.name wildcard r"a\\*b"', lb("axb"))).toBe(false);
    expect(run('cf.load_balancer.name wildcard r"a\\\\*"', lb("a\\xyz"))).toBe(true);
    expect(run('cf.load_balancer.name wildcard "*"', lb(""))).toBe(true);
    expect(run('cf.load_balancer.name wildcard ""', lb(""))).toBe(true);
    expect(run('cf.load_balancer.name wildcard "a*a"', lb("a"))).toBe(false);
    expect(run('cf.load_balancer.name wildcard "a*a"', lb("aa"))).toBe(true);
    expect(run('cf.load_balancer.name wildcard "*ab*ab*"', lb("xabyab"))).toBe(true);
    expect(run('cf.load_balancer.name wildcard "*ab*ab*"', lb("xaba"))).toBe(false);
  });

  it("accepts whitespace and newlines around everything", () => {
    expect(run("\n  ( dns.qry.type   ==28 )\r\n  and\tip.src in{ 198.51.100.0/24 }  ", { qtype: 28 })).toBe(true);
    expect(run("dns.qry.type==1&&ip.src!=10.0.0.1")).toBe(true);
  });
});

// --- errors ------------------------------------------------------------------------------------

describe("errors", () => {
  it("names an unknown field, suggesting a near one", () => {
    expect(failure('dns.qry.nme == "x"')).toMatchObject({ offset: 0, message: expect.stringMatching(/unknown field "dns\.qry\.nme" \(did you mean "dns\.qry\.name"\?\)/) });
    expect(failure("dns.qry.type == 1 and ip.scr in {10.0.0.0/8}")).toMatchObject({ offset: 22, message: expect.stringMatching(/did you mean "ip\.src"/) });
    expect(failure("  cf.load_balancer.regoin == \"WEU\"")).toMatchObject({ offset: 2, message: expect.stringMatching(/did you mean "cf\.load_balancer\.region"/) });
    expect(failure("totally.unrelated == 1").message).not.toMatch(/did you mean/);
  });

  it("says a proxied-only field does not exist for DNS-only traffic", () => {
    const e = failure('dns.qry.type == 1 and http.request.uri.path contains "/api"');
    expect(e.offset).toBe(22);
    expect(e.message).toMatch(/http\.request\.uri\.path only exists for proxied traffic/);
    expect(e.message).toMatch(/gslb answers DNS only/);
    expect(failure('http.host == "x"').message).toMatch(/http\.host only exists for proxied traffic/);
    expect(failure('ip.src.country == "DE"')).toMatchObject({ offset: 0, message: expect.stringMatching(/ip\.src\.country .*load balancing rules do not offer it/) });
  });

  it("rejects values of the wrong type", () => {
    expect(failure('ip.src == "192.0.2.1"')).toMatchObject({ offset: 10, message: expect.stringMatching(/ip\.src is an IP address field: expected an IP address.*found a string/) });
    expect(failure('dns.qry.type == "AAAA"')).toMatchObject({ offset: 16, message: expect.stringMatching(/dns\.qry\.type is an Integer: write the query type's number, 28 for AAAA/) });
    expect(failure('dns.qry.type == "A"').message).toMatch(/1 for A\b/);
    expect(failure("dns.qry.type == AAAA")).toMatchObject({ offset: 16, message: expect.stringMatching(/28 for AAAA/) });
    expect(failure("dns.qry.name == www.example.com")).toMatchObject({ offset: 16, message: expect.stringMatching(/dns\.qry\.name is a String field: expected a string in double quotes/) });
    expect(failure('cf.load_balancer.region == 5').message).toMatch(/String field/);
    expect(failure('dns.qry.type in {1 "x"}')).toMatchObject({ offset: 19 });
    expect(failure('ip.src in {"10.0.0.0/8"}')).toMatchObject({ offset: 11 });
    expect(failure('dns.qry.type contains "1"')).toMatchObject({ offset: 13, message: expect.stringMatching(/contains applies to String fields/) });
    expect(failure("ip.src < 10.0.0.1")).toMatchObject({ offset: 7, message: expect.stringMatching(/supports ==, != and in/) });
    expect(failure("dns.qry.type == 1.5")).toMatchObject({ offset: 16, message: expect.stringMatching(/"1\.5" is not an integer/) });
    expect(failure("dns.qry.type == 99999999999999999999")).toMatchObject({ offset: 16, message: expect.stringMatching(/out of range/) });
    expect(failure("dns.qry.type == 09")).toMatchObject({ offset: 16 });
    expect(failure("dns.qry.type in {9..3}")).toMatchObject({ offset: 17, message: expect.stringMatching(/ends before it starts/) });
  });

  it("rejects bad IP addresses and CIDRs", () => {
    expect(failure("ip.src in {10.0.0.1/8}")).toMatchObject({ offset: 11, message: expect.stringMatching(/host bits.*did you mean 10\.0\.0\.0\/8/) });
    expect(failure("ip.src in {10.0.0.0/33}")).toMatchObject({ offset: 20, message: expect.stringMatching(/prefix length must be 0 to 32/) });
    expect(failure("ip.src in {2001:db8::/129}").message).toMatch(/0 to 128/);
    expect(failure("ip.src in {10.0.0.0/8 300.1.1.1}")).toMatchObject({ offset: 22, message: expect.stringMatching(/"300\.1\.1\.1" is not an IP address/) });
    expect(failure("ip.src == 10.0.0.0/8")).toMatchObject({ offset: 10, message: expect.stringMatching(/use ip\.src in \{10\.0\.0\.0\/8\}/) });
    expect(failure("ip.src == 01.2.3.4").message).toMatch(/not an IP address/);
    expect(failure("ip.src in {10.0.0.9..10.0.0.1}").message).toMatch(/ends before it starts/);
    expect(failure("ip.src in {10.0.0.1..::1}").message).toMatch(/mixes IPv4 and IPv6/);
    expect(failure("ip.src in {10.0.0.0/8, 192.168.0.0/16}")).toMatchObject({ offset: 21, message: expect.stringMatching(/spaces, not commas/) });
    expect(failure("ip.src in 10.0.0.0/8")).toMatchObject({ offset: 10, message: expect.stringMatching(/set of values in braces/) });
    expect(failure("ip.src in {10.0.0.0/8")).toMatchObject({ offset: 21, message: expect.stringMatching(/not closed/) });
  });

  it("reports unbalanced parentheses and trailing input", () => {
    expect(failure("(dns.qry.qu")).toMatchObject({ offset: 11, message: expect.stringMatching(/"\(" at offset 0 is not closed/) });
    expect(failure("dns.qry.qu)")).toMatchObject({ offset: 10, message: expect.stringMatching(/unbalanced parentheses/) });
    expect(failure("(dns.qry.qu dns.qry.qu)")).toMatchObject({ offset: 12, message: expect.stringMatching(/expected a logical operator/) });
    expect(failure("()")).toMatchObject({ offset: 1, message: expect.stringMatching(/empty parentheses/) });
    expect(failure("dns.qry.type == 1 2")).toMatchObject({ offset: 18, message: expect.stringMatching(/unexpected "2"/) });
    expect(failure("dns.qry.type == 1 AND dns.qry.qu")).toMatchObject({ offset: 18, message: expect.stringMatching(/lower case: "and"/) });
    expect(failure("dns.qry.type == 1 and")).toMatchObject({ offset: 21, message: expect.stringMatching(/ends here/) });
    expect(failure("dns.qry.type == 1 and or dns.qry.qu")).toMatchObject({ offset: 22, message: expect.stringMatching(/expected a condition, found the operator "or"/) });
    expect(failure("NOT dns.qry.qu")).toMatchObject({ offset: 0, message: expect.stringMatching(/lower case: "not"/) });
    expect(failure("dns.qry.type")).toMatchObject({ offset: 12, message: expect.stringMatching(/expected an operator after dns\.qry\.type/) });
    expect(failure("dns.qry.type EQ 1")).toMatchObject({ offset: 13, message: expect.stringMatching(/lower case: "eq"/) });
    expect(failure("dns.qry.type = 1")).toMatchObject({ offset: 13, message: expect.stringMatching(/"=="/) });
    expect(failure("28 == dns.qry.type")).toMatchObject({ offset: 0, message: expect.stringMatching(/starts with its field/) });
  });

  it("rejects what gslb does not support, saying so", () => {
    expect(failure('dns.qry.name matches "^www\\\\."')).toMatchObject({ offset: 13, message: expect.stringMatching(/matches \(~\) operator is not supported by gslb/) });
    expect(failure('dns.qry.name ~ "x"')).toMatchObject({ offset: 13, message: expect.stringMatching(/not supported by gslb/) });
    expect(failure('ends_with(dns.qry.name, ".example.com.")')).toMatchObject({ offset: 0, message: expect.stringMatching(/functions such as ends_with\(\) are not supported/) });
    expect(failure("ip.src in $office")).toMatchObject({ offset: 10, message: expect.stringMatching(/lists \(\$name\) are not supported/) });
    expect(failure("dns.qry.type & 1")).toMatchObject({ offset: 13, message: expect.stringMatching(/bitwise/) });
    expect(failure("ip.src not in {10.0.0.0/8}")).toMatchObject({ offset: 7, message: expect.stringMatching(/"not" goes before the whole comparison/) });
    expect(failure("dns.rr.opt.client == true")).toMatchObject({ offset: 18, message: expect.stringMatching(/Boolean field: use it on its own/) });
  });

  it("rejects bad strings", () => {
    expect(failure('dns.qry.name == "abc')).toMatchObject({ offset: 16, message: expect.stringMatching(/not closed/) });
    expect(failure('dns.qry.name == "a\\nb"')).toMatchObject({ offset: 18, message: expect.stringMatching(/invalid escape/) });
    expect(failure('dns.qry.name == "\\xff"')).toMatchObject({ offset: 16, message: expect.stringMatching(/UTF-8/) });
    expect(failure('dns.qry.name == r#"abc"')).toMatchObject({ offset: 16, message: expect.stringMatching(/raw string is not closed/) });
    expect(failure('dns.qry.name wildcard "**.example.com."')).toMatchObject({ offset: 22, message: expect.stringMatching(/double star/) });
    expect(failure('dns.qry.name wildcard r"\\d"')).toMatchObject({ offset: 22, message: expect.stringMatching(/invalid escape in the wildcard/) });
  });

  it("caps length and nesting", () => {
    const long = "dns.qry.qu or ".repeat(400) + "dns.qry.qu";
    expect(long.length).toBeGreaterThan(MAX_EXPRESSION_BYTES);
    expect(failure(long)).toMatchObject({ offset: MAX_EXPRESSION_BYTES, message: expect.stringMatching(/longer than 4096 bytes/) });
    // Multi-byte characters count as their UTF-8 bytes.
    expect(failure(`cf.load_balancer.name == "${"é".repeat(2100)}"`).message).toMatch(/longer than/);
    const nest = (n: number) => "(".repeat(n) + "dns.qry.qu" + ")".repeat(n);
    expect(parse(nest(MAX_NESTING_DEPTH)).evaluate(input())).toBe(true);
    expect(failure(nest(MAX_NESTING_DEPTH + 1))).toMatchObject({ offset: MAX_NESTING_DEPTH, message: expect.stringMatching(/nested deeper than 64/) });
    expect(failure("not ".repeat(MAX_NESTING_DEPTH + 1) + "dns.qry.qu").message).toMatch(/nested deeper/);
    expect(parse("!".repeat(MAX_NESTING_DEPTH) + "dns.qry.qu").evaluate(input())).toBe(true);
  });
});

// --- properties --------------------------------------------------------------------------------

/** A small condition language with an independent evaluator, rendered as Cloudflare text. */
type Node =
  | { k: "qtype"; op: "eq" | "ne" | "lt" | "ge"; n: number }
  | { k: "qtypeIn"; items: [number, number][] }
  | { k: "name"; op: "eq" | "ne"; lit: string; dot: boolean }
  | { k: "ip"; cidrs: { family: 4 | 6; bytes: number[]; prefix: number }[] }
  | { k: "region"; lit: string }
  | { k: "ecs" }
  | { k: "qu" }
  | { k: "not"; a: Node }
  | { k: "and" | "or" | "xor"; a: Node; b: Node };

const NAMES = ["www.example.com", "api.example.com", "example.com", ""];
const REGIONS = ["WEU", "ENAM", "NEAS"];

function maskedBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, k) => b & ((0xff << (8 - Math.max(0, Math.min(8, prefix - k * 8)))) & 0xff));
}

const arbCidr = fc.oneof(
  fc.record({ family: fc.constant(4 as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), prefix: fc.integer({ min: 0, max: 32 }) }),
  fc.record({ family: fc.constant(6 as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), prefix: fc.integer({ min: 0, max: 128 }) }),
).map((c) => ({ ...c, bytes: maskedBytes(c.bytes, c.prefix) }));

const leaf: fc.Arbitrary<Node> = fc.oneof(
  fc.record({ k: fc.constant("qtype" as const), op: fc.constantFrom("eq" as const, "ne" as const, "lt" as const, "ge" as const), n: fc.constantFrom(1, 5, 28, 65) }),
  fc.record({ k: fc.constant("qtypeIn" as const), items: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 10 })).map(([a, d]): [number, number] => [a, a + d]), { maxLength: 3 }) }),
  fc.record({ k: fc.constant("name" as const), op: fc.constantFrom("eq" as const, "ne" as const), lit: fc.constantFrom(...NAMES.filter((n) => n !== "")), dot: fc.boolean() }),
  fc.record({ k: fc.constant("ip" as const), cidrs: fc.array(arbCidr, { maxLength: 3 }) }),
  fc.record({ k: fc.constant("region" as const), lit: fc.constantFrom(...REGIONS) }),
  fc.constant({ k: "ecs" as const }),
  fc.constant({ k: "qu" as const }),
);

const { node: arbNode } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ k: fc.constant("not" as const), a: tie("node") }),
    fc.record({ k: fc.constantFrom("and" as const, "or" as const, "xor" as const), a: tie("node"), b: tie("node") }),
  ),
}));

const PREC = { or: 1, xor: 2, and: 3, not: 4 } as const;

function ipText(c: { family: 4 | 6; bytes: number[] }): string {
  if (c.family === 4) return c.bytes.join(".");
  const words: string[] = [];
  for (let k = 0; k < 16; k += 2) words.push(((c.bytes[k]! << 8) | c.bytes[k + 1]!).toString(16));
  return words.join(":");
}

/** Text with the fewest parentheses precedence allows (plus some), in either notation. */
function render(n: Node, english: (k: number) => boolean, salt: number, parent = 0): string {
  const op = (en: string, c: string) => (english(salt) ? ` ${en} ` : ` ${c} `);
  let out: string;
  let prec = 5;
  switch (n.k) {
    case "qtype": out = `dns.qry.type${op(n.op, { eq: "==", ne: "!=", lt: "<", ge: ">=" }[n.op])}${n.n}`; break;
    case "qtypeIn": out = `dns.qry.type in {${n.items.map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`)).join(" ")}}`; break;
    case "name": out = `dns.qry.name${op(n.op, n.op === "eq" ? "==" : "!=")}"${n.lit}${n.dot ? "." : ""}"`; break;
    case "ip": out = `ip.src in {${n.cidrs.map((c) => `${ipText(c)}/${c.prefix}`).join(" ")}}`; break;
    case "region": out = `cf.load_balancer.region == "${n.lit}"`; break;
    case "ecs": out = "dns.rr.opt.client"; break;
    case "qu": out = "dns.qry.qu"; break;
    case "not": prec = PREC.not; out = `${english(salt) ? "not " : "!"}${render(n.a, english, salt * 7 + 1, PREC.not)}`; break;
    default: {
      prec = PREC[n.k];
      const c = { and: "&&", or: "||", xor: "^^" }[n.k];
      // Right operands of the same operator need no parentheses either (the operators are associative).
      out = `${render(n.a, english, salt * 3 + 1, prec)}${op(n.k, c)}${render(n.b, english, salt * 5 + 2, prec)}`;
    }
  }
  return prec < parent || (prec < 5 && salt % 11 === 0) ? `(${out})` : out;
}

interface World {
  qname: string;
  qtype: number;
  client: { family: 4 | 6; bytes: number[]; bits: number };
  region: string | null;
  ecs: boolean;
}

function expected(n: Node, w: World): boolean {
  switch (n.k) {
    case "qtype": return { eq: w.qtype === n.n, ne: w.qtype !== n.n, lt: w.qtype < n.n, ge: w.qtype >= n.n }[n.op];
    case "qtypeIn": return n.items.some(([a, b]) => w.qtype >= a && w.qtype <= b);
    case "name": return (w.qname === n.lit) === (n.op === "eq");
    case "ip": return n.cidrs.some((c) => c.family === w.client.family && w.client.bits >= c.prefix &&
      maskedBytes(w.client.bytes, c.prefix).every((b, k) => b === c.bytes[k]));
    case "region": return w.region === n.lit;
    case "ecs": return w.ecs;
    case "qu": return true;
    case "not": return !expected(n.a, w);
    case "and": return expected(n.a, w) && expected(n.b, w);
    case "or": return expected(n.a, w) || expected(n.b, w);
    case "xor": return expected(n.a, w) !== expected(n.b, w);
  }
}

const arbWorld: fc.Arbitrary<World> = fc.record({
  qname: fc.constantFrom(...NAMES),
  qtype: fc.constantFrom(1, 5, 28, 65, 0, 40),
  client: fc.oneof(
    fc.record({ family: fc.constant(4 as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), bits: fc.integer({ min: 0, max: 32 }) }),
    fc.record({ family: fc.constant(6 as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), bits: fc.integer({ min: 0, max: 128 }) }),
  ),
  region: fc.constantFrom(null, ...REGIONS),
  ecs: fc.boolean(),
});

describe("properties", () => {
  it("random valid expressions parse, and evaluate as an independent evaluator says", () => {
    fc.assert(
      fc.property(arbNode, fc.integer({ min: 0, max: 1000 }), fc.array(arbWorld, { minLength: 1, maxLength: 4 }), (node, salt, worlds) => {
        const text = render(node, (k) => k % 2 === 0, salt);
        const r = parseExpression(text);
        if (!r.ok) throw new Error(`${text}: ${r.message} at ${r.offset}`);
        for (const w of worlds) {
          const x = input({ qname: w.qname, qtype: w.qtype, client: { family: w.client.family, bytes: Uint8Array.from(w.client.bytes), bits: w.client.bits }, region: w.region, ecs: w.ecs ? { address: "192.0.2.0" } : null });
          expect(r.expression.evaluate(x), text).toBe(expected(node, w));
          expect(x.calls).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("any text either parses or fails with an offset inside it, never throwing", () => {
    const pieces = fc.constantFrom(
      "dns.qry.type", "ip.src", "dns.qry.name", "cf.load_balancer.region", "dns.qry.qu", " ", "==", "!=", "in", "{", "}", "(", ")",
      "and", "or", "xor", "not", "!", "&&", "||", "^^", '"', "r#\"", "\\", "1", "28", "..", "10.0.0.0/8", "::1", "contains", "wildcard", "*", "http.host", ",", "$x",
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 12 }).map((a) => a.join(""))), (text) => {
        const r = parseExpression(text);
        if (r.ok) r.expression.evaluate(input({ ecs: { address: "192.0.2.0" } }));
        else {
          expect(r.offset).toBeGreaterThanOrEqual(0);
          expect(r.offset).toBeLessThanOrEqual(text.length);
          expect(r.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
