// Cloudflare's Rules language (wirefilter syntax), as load balancing custom rules use it in their
// `condition`, restricted to the fields Cloudflare documents for DNS-only (unproxied) load
// balancers. Parsed once at configuration load into closures; evaluating allocates nothing of its
// own and is bounded (no regular expressions, length and nesting capped). See expression.md for
// what Cloudflare documents and where gslb departs from it.

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../wire/ip.js";

/** The fields a DNS-only load balancer's rules can use (Cloudflare: "BOTH" and "NON-PROXIED ONLY"). */
export type Field =
  | "cf.load_balancer.name"
  | "cf.load_balancer.region"
  | "ip.src"
  | "dns.qry.name"
  | "dns.qry.name.len"
  | "dns.qry.qu"
  | "dns.qry.type"
  | "dns.rr.opt.client"
  | "dns.rr.opt.client.addr";

/** Value types, as the Rules language names them (Cloudflare writes "Bytes" for some String fields). */
export type FieldType = "String" | "Integer" | "IP address" | "Boolean";

export interface FieldInfo {
  readonly type: FieldType;
  /** Whether the value depends on the client's address or location (see Expression.usesClient). */
  readonly client: boolean;
  readonly about: string;
}

export const FIELDS: ReadonlyMap<Field, FieldInfo> = new Map<Field, FieldInfo>([
  ["cf.load_balancer.name", { type: "String", client: false, about: "the load balancer's name, e.g. lb.example.com" }],
  ["cf.load_balancer.region", { type: "String", client: true, about: "the region code of where the query is handled, e.g. ENAM (gslb: the client's region)" }],
  ["ip.src", { type: "IP address", client: true, about: "the ECS address when the query has one, else the resolver's address" }],
  ["dns.qry.name", { type: "String", client: false, about: "the query name, with its trailing dot, e.g. example.com." }],
  ["dns.qry.name.len", { type: "Integer", client: false, about: "the length in bytes of the query name" }],
  ["dns.qry.qu", { type: "Boolean", client: false, about: "true: the message is a question (always, for what gslb evaluates)" }],
  ["dns.qry.type", { type: "Integer", client: false, about: "the numeric query type, e.g. 1 (A) or 28 (AAAA)" }],
  ["dns.rr.opt.client", { type: "Boolean", client: false, about: "true when the query carries an EDNS Client Subnet option" }],
  ["dns.rr.opt.client.addr", { type: "String", client: true, about: "the ECS address as text, e.g. 1.2.3.0 (\"\" without ECS)" }],
]);

/** Longest expression accepted, in UTF-8 bytes. */
export const MAX_EXPRESSION_BYTES = 4096;
/** Deepest nesting of parentheses and `not` accepted. */
export const MAX_NESTING_DEPTH = 64;

/** The client's address (ECS subnet or resolver) and how many leading bits of it are known. */
export interface ExpressionClient {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

export interface ExpressionInput {
  /** Lower case, no trailing dot ("" for the root). */
  readonly qname: string;
  /** 1 = A, 28 = AAAA. */
  readonly qtype: number;
  /** ip.src: the client as gslb sees it (ECS subnet when used, else the resolver). */
  readonly client: ExpressionClient;
  /** The load balancer's hostname, lower case, no trailing dot. */
  readonly loadBalancer: string;
  /** Called at most once per evaluate(), and only when cf.load_balancer.region is reached. */
  location(): { region: string | null; country: string | null };
  /**
   * The EDNS Client Subnet option the query carried, whether or not gslb steers by it, or null
   * (dns.rr.opt.client, dns.rr.opt.client.addr). `address` is text with the bits past the source
   * prefix zero, canonical (RFC 5952 for IPv6): what ClientSubnet.address holds.
   */
  readonly ecs: { readonly address: string } | null;
}

export interface Expression {
  readonly text: string;
  readonly fields: ReadonlySet<Field>;
  /** true when the value depends on the client's address or location (for the ECS scope). */
  readonly usesClient: boolean;
  evaluate(input: ExpressionInput): boolean;
}

export type ParseResult = { ok: true; expression: Expression } | { ok: false; message: string; offset: number };

/** Parse a rule condition. An empty (or blank) condition is always true, as Cloudflare's API says. */
export function parseExpression(text: string): ParseResult {
  const limit = overLimit(text);
  if (limit >= 0) return { ok: false, message: `the expression is longer than ${MAX_EXPRESSION_BYTES} bytes`, offset: limit };
  const state: State = { region: undefined };
  const p = new Parser(text, state);
  let root: Pred;
  try {
    root = p.parseTop();
  } catch (e) {
    if (e instanceof Fail) return { ok: false, message: e.message, offset: e.offset };
    throw e;
  }
  const fields: ReadonlySet<Field> = p.fields;
  let usesClient = false;
  for (const f of fields) if (FIELDS.get(f)!.client) usesClient = true;
  const expression: Expression = Object.freeze({
    text,
    fields,
    usesClient,
    evaluate(input: ExpressionInput): boolean {
      state.region = undefined;
      return root(input);
    },
  });
  return { ok: true, expression };
}

// ---------------------------------------------------------------------------------------------
// Compiled form

type Pred = (input: ExpressionInput) => boolean;

/** Per-evaluation memo (evaluation is synchronous, so one per expression suffices). */
interface State {
  region: string | undefined;
}

class Fail {
  constructor(readonly message: string, readonly offset: number) {}
}

/** A String field: its value is get(input), followed by "." when `dot` (dns.qry.name). */
interface StringSource {
  readonly get: (input: ExpressionInput) => string;
  readonly dot: boolean;
}

type IntOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
type Op = IntOp | "contains" | "wildcard" | "strict wildcard" | "in";

interface IpValue {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}
type IpItem =
  | { readonly kind: "cidr"; readonly family: 4 | 6; readonly bytes: Uint8Array; readonly prefix: number }
  | { readonly kind: "range"; readonly family: 4 | 6; readonly lo: Uint8Array; readonly hi: Uint8Array };

const TRUE: Pred = () => true;

function all(items: readonly Pred[]): Pred {
  if (items.length === 1) return items[0]!;
  if (items.length === 2) {
    const [a, b] = items as [Pred, Pred];
    return (i) => a(i) && b(i);
  }
  return (i) => {
    for (let k = 0; k < items.length; k++) if (!items[k]!(i)) return false;
    return true;
  };
}

function any(items: readonly Pred[]): Pred {
  if (items.length === 1) return items[0]!;
  if (items.length === 2) {
    const [a, b] = items as [Pred, Pred];
    return (i) => a(i) || b(i);
  }
  return (i) => {
    for (let k = 0; k < items.length; k++) if (items[k]!(i)) return true;
    return false;
  };
}

function parity(items: readonly Pred[]): Pred {
  if (items.length === 1) return items[0]!;
  return (i) => {
    let v = false;
    for (let k = 0; k < items.length; k++) v = v !== items[k]!(i);
    return v;
  };
}

// ---------------------------------------------------------------------------------------------
// Values of the fields, without building strings per query

/** Code-point order from UTF-16 code units (surrogates sort above U+E000..U+FFFF, as in UTF-8). */
const unit = (u: number): number => (u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u);

/** Compare s (+ "." when dot) with lit, in code point (= UTF-8 byte) order. */
function compareTo(s: string, dot: boolean, lit: string): number {
  const n = s.length + (dot ? 1 : 0);
  const m = Math.min(n, lit.length);
  for (let k = 0; k < m; k++) {
    const a = k < s.length ? s.charCodeAt(k) : 46;
    const b = lit.charCodeAt(k);
    if (a !== b) return unit(a) - unit(b);
  }
  return n - lit.length;
}

/** Does s (+ "." when dot) contain lit? An occurrence either lies in s, or ends at the added dot. */
function containsIn(s: string, dot: boolean, lit: string, litHead: string | null): boolean {
  if (s.includes(lit)) return true;
  return dot && litHead !== null && s.endsWith(litHead);
}

interface Wildcard {
  /** Literal runs between the stars, as code units (ASCII-folded when case-insensitive). */
  readonly segments: readonly Uint16Array[];
  readonly fold: boolean;
}

const foldAscii = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

function segmentAt(s: string, dot: boolean, at: number, seg: Uint16Array, fold: boolean): boolean {
  for (let k = 0; k < seg.length; k++) {
    const j = at + k;
    let c = j < s.length ? s.charCodeAt(j) : dot && j === s.length ? 46 : -1;
    if (fold) c = foldAscii(c);
    if (c !== seg[k]) return false;
  }
  return true;
}

/** Whole-value match with `*` = any run: anchored first and last runs, the others leftmost-first (O(n·m)). */
function wildcardMatch(s: string, dot: boolean, w: Wildcard): boolean {
  const n = s.length + (dot ? 1 : 0);
  const segs = w.segments;
  const first = segs[0]!;
  if (segs.length === 1) return n === first.length && segmentAt(s, dot, 0, first, w.fold);
  const last = segs[segs.length - 1]!;
  if (first.length + last.length > n) return false;
  if (!segmentAt(s, dot, 0, first, w.fold) || !segmentAt(s, dot, n - last.length, last, w.fold)) return false;
  let pos = first.length;
  const end = n - last.length;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k]!;
    let found = -1;
    for (let at = pos; at + seg.length <= end; at++) {
      if (segmentAt(s, dot, at, seg, w.fold)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return true;
}

/** Do the client's first `prefix` bits equal net's? Only when at least that many bits are known. */
function knownPrefixMatches(c: ExpressionClient, family: 4 | 6, net: Uint8Array, prefix: number): boolean {
  if (c.family !== family || c.bits < prefix || c.bytes.length * 8 < prefix) return false;
  const b = c.bytes;
  const whole = prefix >> 3;
  for (let k = 0; k < whole; k++) if (b[k] !== net[k]) return false;
  const rest = prefix & 7;
  return rest === 0 || ((b[whole]! ^ net[whole]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

/** Compare the lowest (or highest) address of the client's known subnet with bound. */
function compareSubnetBound(c: ExpressionClient, high: boolean, bound: Uint8Array): number {
  const bits = Math.max(0, Math.min(c.bits, bound.length * 8));
  for (let k = 0; k < bound.length; k++) {
    const known = Math.max(0, Math.min(8, bits - k * 8));
    const mask = (0xff << (8 - known)) & 0xff;
    const v = ((c.bytes[k] ?? 0) & mask) | (high ? ~mask & 0xff : 0);
    if (v !== bound[k]) return v - bound[k]!;
  }
  return 0;
}

/** Is every address the client may be (its known subnet) in the item? */
function ipItemMatches(c: ExpressionClient, item: IpItem): boolean {
  if (item.kind === "cidr") return knownPrefixMatches(c, item.family, item.bytes, item.prefix);
  if (c.family !== item.family || c.bytes.length !== item.lo.length) return false;
  return compareSubnetBound(c, false, item.lo) >= 0 && compareSubnetBound(c, true, item.hi) <= 0;
}

// ---------------------------------------------------------------------------------------------
// Parser: scannerless recursive descent, as wirefilter lexes (the expected type decides how a
// value is read), with precedence not > and > xor > or.

const isIdent = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isIpChar = (c: number): boolean =>
  (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46 || c === 47;

const PROXIED_FIELDS = new Set([
  "http.cookie", "http.host", "http.referer", "http.request.headers", "http.request.method",
  "http.request.timestamp.sec", "http.request.uri", "http.request.uri.args", "http.request.uri.args.names",
  "http.request.uri.args.values", "http.request.uri.path", "http.request.uri.query", "http.request.version",
  "http.user_agent", "http.x_forwarded_for", "http.request.full_uri", "ssl",
]);

const FUNCTIONS = new Set([
  "any", "all", "concat", "starts_with", "ends_with", "len", "lower", "upper", "regex_replace", "wildcard_replace",
  "remove_bytes", "remove_query_args", "to_string", "url_decode", "uuidv4", "lookup_json_string", "lookup_json_integer",
  "cidr", "cidr6", "bit_slice", "decode_base64", "encode_base64", "sha256", "substring", "split", "join", "has_key",
  "has_value", "is_timed_hmac_valid_v0", "json_lookup_integer", "json_lookup_string",
]);

/** Query type names people write, to suggest the number dns.qry.type compares with. */
const QTYPES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35, DS: 43, DNSKEY: 48,
  SVCB: 64, HTTPS: 65, ANY: 255, CAA: 257,
};

const qtypeCode = (name: string): number | undefined =>
  Object.hasOwn(QTYPES, name.toUpperCase()) ? QTYPES[name.toUpperCase()] : undefined;

const OPERATOR_WORDS: Readonly<Record<string, Op>> = {
  eq: "eq", ne: "ne", lt: "lt", le: "le", gt: "gt", ge: "ge", contains: "contains", wildcard: "wildcard", in: "in",
};

const OP_TEXT: Readonly<Record<Op, string>> = {
  eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=", contains: "contains", wildcard: "wildcard",
  "strict wildcard": "strict wildcard", in: "in",
};

const FIELD_LIST = [...FIELDS.keys()].join(", ");

class Parser {
  pos = 0;
  private depth = 0;
  readonly fields = new Set<Field>();

  constructor(private readonly s: string, private readonly state: State) {}

  private fail(message: string, at: number = this.pos): never {
    throw new Fail(message, at);
  }

  private ws(): void {
    while (this.pos < this.s.length && isSpace(this.s.charCodeAt(this.pos))) this.pos++;
  }

  private peekWord(at: number = this.pos): string {
    let e = at;
    while (e < this.s.length && isIdent(this.s.charCodeAt(e))) e++;
    return this.s.slice(at, e);
  }

  /** What the input holds at `at`, quoted for messages. */
  private shown(at: number = this.pos): string {
    if (at >= this.s.length) return "the end of the expression";
    const w = this.peekWord(at);
    if (w !== "") return `"${w}"`;
    let e = at;
    while (e < this.s.length && e - at < 12 && !isSpace(this.s.charCodeAt(e))) e++;
    return JSON.stringify(this.s.slice(at, Math.max(e, at + 1)));
  }

  parseTop(): Pred {
    this.ws();
    if (this.pos >= this.s.length) return TRUE;
    const p = this.parseOr();
    this.ws();
    if (this.pos < this.s.length) {
      if (this.s[this.pos] === ")") this.fail("unbalanced parentheses: this \")\" closes no \"(\"");
      this.unexpected("the end of the expression");
    }
    return p;
  }

  /** After a complete condition, something that is not a logical operator. */
  private unexpected(expected: string): never {
    const w = this.peekWord();
    const lower = w.toLowerCase();
    if (w !== lower && (lower === "and" || lower === "or" || lower === "xor" || lower === "not")) {
      this.fail(`logical operators are written in lower case: "${lower}", not "${w}"`);
    }
    if (w !== "" && FIELDS.has(w as Field)) this.fail(`expected a logical operator (and, or, xor, &&, ||, ^^) before the field "${w}"`);
    this.fail(`unexpected ${this.shown()}: expected a logical operator (and, or, xor, &&, ||, ^^) or ${expected}`);
  }

  private logical(): "or" | "xor" | "and" | null {
    this.ws();
    const s = this.s;
    const at = this.pos;
    if (s.startsWith("||", at)) return (this.pos += 2), "or";
    if (s.startsWith("^^", at)) return (this.pos += 2), "xor";
    if (s.startsWith("&&", at)) return (this.pos += 2), "and";
    const w = this.peekWord();
    if (w === "or" || w === "xor" || w === "and") {
      this.pos += w.length;
      return w;
    }
    return null;
  }

  // Precedence, loosest first: or, xor, and (then not, in parseUnary).
  private parseOr(): Pred {
    return this.chain("or", () => this.parseXor(), any);
  }

  private parseXor(): Pred {
    return this.chain("xor", () => this.parseAnd(), parity);
  }

  private parseAnd(): Pred {
    return this.chain("and", () => this.parseUnary(), all);
  }

  /** operand (op operand)*, joined by `join`; any other operator is left for a looser level. */
  private chain(op: "or" | "xor" | "and", operand: () => Pred, join: (items: Pred[]) => Pred): Pred {
    const items = [operand()];
    for (;;) {
      const at = this.pos;
      if (this.logical() === op) items.push(operand());
      else {
        this.pos = at;
        return join(items);
      }
    }
  }

  private enter(at: number): void {
    if (++this.depth > MAX_NESTING_DEPTH) this.fail(`parentheses and "not" are nested deeper than ${MAX_NESTING_DEPTH}`, at);
  }

  private parseUnary(): Pred {
    this.ws();
    const at = this.pos;
    const s = this.s;
    const bang = s[at] === "!" && s[at + 1] !== "=";
    if (bang || this.peekWord() === "not") {
      this.enter(at);
      this.pos += bang ? 1 : 3;
      const p = this.parseUnary();
      this.depth--;
      return (i) => !p(i);
    }
    if (s[at] === "(") {
      this.enter(at);
      this.pos++;
      this.ws();
      if (s[this.pos] === ")") this.fail("empty parentheses: expected a condition inside");
      const p = this.parseOr();
      this.ws();
      if (s[this.pos] !== ")") {
        if (this.pos >= s.length) this.fail(`unbalanced parentheses: the "(" at offset ${at} is not closed`);
        this.unexpected(`")" to close the "(" at offset ${at}`);
      }
      this.pos++;
      this.depth--;
      return p;
    }
    return this.parseComparison();
  }

  // --- comparisons -----------------------------------------------------------------------------

  private parseComparison(): Pred {
    const s = this.s;
    const at = this.pos;
    if (at >= s.length) this.fail("expected a condition (a field such as dns.qry.type, \"not\", or \"(\") but the expression ends here");
    const name = this.peekWord();
    if (name === "") this.fail(`expected a field such as dns.qry.type, "not" or "(", found ${this.shown()}`);
    if (/^[0-9]/.test(name)) this.fail(`a comparison starts with its field, e.g. dns.qry.type == 28; found ${this.shown()}`);
    this.pos += name.length;
    const field = this.resolveField(name, at);
    this.fields.add(field);
    const info = FIELDS.get(field)!;

    if (info.type === "Boolean") {
      const save = this.pos;
      this.ws();
      if (this.looksLikeOperator()) {
        this.fail(`${field} is a Boolean field: use it on its own ("${field}" or "not ${field}"), without an operator or value`);
      }
      this.pos = save;
      if (field === "dns.qry.qu") return TRUE;
      return (i) => i.ecs !== null && i.ecs !== undefined;
    }

    this.ws();
    const opAt = this.pos;
    const op = this.parseOperator(field);
    this.ws();
    if (info.type === "Integer") return this.integerComparison(field, op, opAt);
    if (info.type === "IP address") return this.ipComparison(field, op, opAt);
    return this.stringComparison(field, op);
  }

  private resolveField(name: string, at: number): Field {
    const s = this.s;
    let after = at + name.length;
    while (after < s.length && isSpace(s.charCodeAt(after))) after++;
    if (s[after] === "(" && (FUNCTIONS.has(name) || !FIELDS.has(name as Field))) {
      this.fail(`functions such as ${name}() are not supported by gslb; compare a field with a value instead (e.g. dns.qry.name wildcard "*.example.com.")`, at);
    }
    if (FIELDS.has(name as Field)) return name as Field;
    if (PROXIED_FIELDS.has(name) || name.startsWith("http.") || name.startsWith("raw.http.") || name.startsWith("cf.tls_") || name.startsWith("cf.bot_management.")) {
      this.fail(`${name} only exists for proxied traffic (an HTTP request through Cloudflare); gslb answers DNS only, so a rule can use: ${FIELD_LIST}`, at);
    }
    if (name.startsWith("ip.src.") || name.startsWith("ip.geoip.")) {
      this.fail(`${name} is a Rules language field of other Cloudflare products; load balancing rules do not offer it (for where the client is, use cf.load_balancer.region or ip.src in {...}). Fields: ${FIELD_LIST}`, at);
    }
    const lower = name.toLowerCase();
    if (lower === "not" || lower === "and" || lower === "or" || lower === "xor") {
      if (name !== lower) this.fail(`logical operators are written in lower case: "${lower}", not "${name}"`, at);
      this.fail(`expected a condition, found the operator "${name}"`, at);
    }
    const near = suggest(name);
    this.fail(`unknown field "${name}"${near !== null ? ` (did you mean "${near}"?)` : ""}; the fields of DNS-only load balancing rules are: ${FIELD_LIST}`, at);
  }

  private looksLikeOperator(): boolean {
    const s = this.s;
    const c = s[this.pos];
    if (c === "=" || c === "<" || c === ">" || c === "~" || (c === "!" && s[this.pos + 1] === "=")) return true;
    const w = this.peekWord().toLowerCase();
    return Object.hasOwn(OPERATOR_WORDS, w) || w === "matches" || w === "strict";
  }

  private parseOperator(field: Field): Op {
    const s = this.s;
    const at = this.pos;
    const two = s.slice(at, at + 2);
    if (two === "==") return (this.pos += 2), "eq";
    if (two === "!=") return (this.pos += 2), "ne";
    if (two === "<=") return (this.pos += 2), "le";
    if (two === ">=") return (this.pos += 2), "ge";
    const c = s[at];
    if (c === "<") return (this.pos += 1), "lt";
    if (c === ">") return (this.pos += 1), "gt";
    if (c === "~") this.noRegex(at);
    if (c === "&") this.fail("the bitwise operator & is not supported by gslb", at);
    if (c === "=") this.fail('equality is written "==" (or "eq"), not "="', at);
    const w = this.peekWord();
    const op = Object.hasOwn(OPERATOR_WORDS, w) ? OPERATOR_WORDS[w] : undefined;
    if (op !== undefined) {
      this.pos += w.length;
      return op;
    }
    if (w === "matches") this.noRegex(at);
    if (w === "bitwise_and") this.fail("the bitwise operator bitwise_and is not supported by gslb", at);
    if (w === "strict") {
      this.pos += w.length;
      this.ws();
      if (this.peekWord() === "wildcard") {
        this.pos += "wildcard".length;
        return "strict wildcard";
      }
      this.fail('expected "wildcard" after "strict"');
    }
    if (w === "not") this.fail(`"not" goes before the whole comparison: not ${field} ...`, at);
    const lower = w.toLowerCase();
    if (Object.hasOwn(OPERATOR_WORDS, lower) || lower === "matches" || lower === "strict") {
      this.fail(`comparison operators are written in lower case: "${lower}", not "${w}"`, at);
    }
    if (at >= s.length) this.fail(`expected an operator after ${field} (==, !=, <, <=, >, >=, in, contains, wildcard, or eq, ne, lt, le, gt, ge), but the expression ends here`, at);
    this.fail(`expected an operator after ${field} (==, !=, <, <=, >, >=, in, contains, wildcard, or eq, ne, lt, le, gt, ge), found ${this.shown(at)}`, at);
  }

  private noRegex(at: number): never {
    this.fail("the matches (~) operator is not supported by gslb: a regular expression's cost cannot be bounded here; use ==, in {...}, contains or wildcard", at);
  }

  /** Describe what stands where a value of `type` was expected, for type mismatch messages. */
  private mismatch(field: Field, type: FieldType, what: string): never {
    const s = this.s;
    const at = this.pos;
    const c = s[at];
    let found: string;
    if (at >= s.length) found = "the end of the expression";
    else if (c === '"' || (c === "r" && (s[at + 1] === '"' || s[at + 1] === "#"))) found = "a string";
    else if (c === "{") found = "a set {...}";
    else if (c === "$") this.fail("lists ($name) are not supported: Cloudflare load balancing rules do not support lists; write the values inline, e.g. in {...}");
    else found = this.shown();
    if (field === "dns.qry.type" && found === "a string") {
      const save = this.pos;
      let text: string | null = null;
      try {
        text = this.parseString();
      } catch {
        text = null;
      }
      this.pos = save;
      const code = text !== null ? qtypeCode(text) : undefined;
      if (code !== undefined) this.fail(`dns.qry.type is an Integer: write the query type's number, ${code} for ${text!.toUpperCase()}, not a string`);
    }
    if (field === "dns.qry.type" && c !== undefined && /[A-Za-z]/.test(c)) {
      const code = qtypeCode(this.peekWord());
      if (code !== undefined) this.fail(`dns.qry.type is an Integer: write the query type's number, ${code} for ${this.peekWord().toUpperCase()}`);
    }
    this.fail(`${field} is ${type === "IP address" || type === "Integer" ? "an" : "a"} ${type} field: expected ${what}, found ${found}`);
  }

  // --- Integer ---------------------------------------------------------------------------------

  private integerComparison(field: Field, op: Op, opAt: number): Pred {
    const get: (i: ExpressionInput) => number = field === "dns.qry.type" ? (i) => i.qtype : (i) => i.qname.length + 1;
    if (op === "contains" || op === "wildcard" || op === "strict wildcard") {
      this.fail(`${op} applies to String fields; ${field} is an Integer (use ==, !=, <, <=, >, >= or in)`, opAt);
    }
    if (op === "in") {
      const ranges = this.parseSet(() => this.parseIntRange(field));
      const lo = Float64Array.from(ranges, (r) => r[0]);
      const hi = Float64Array.from(ranges, (r) => r[1]);
      return (i) => {
        const v = get(i);
        for (let k = 0; k < lo.length; k++) if (v >= lo[k]! && v <= hi[k]!) return true;
        return false;
      };
    }
    const n = this.parseInt(field);
    switch (op) {
      case "eq": return (i) => get(i) === n;
      case "ne": return (i) => get(i) !== n;
      case "lt": return (i) => get(i) < n;
      case "le": return (i) => get(i) <= n;
      case "gt": return (i) => get(i) > n;
      case "ge": return (i) => get(i) >= n;
    }
  }

  /** A 64-bit signed integer as wirefilter reads it: decimal (optionally negative), 0x hex, or 0-led octal. */
  private parseInt(field: Field): number {
    const s = this.s;
    const at = this.pos;
    let e = at;
    if (s[e] === "-") e++;
    const body = e;
    while (e < s.length && /[0-9A-Za-z_]/.test(s[e]!)) e++;
    if (e === body || !/[0-9]/.test(s[body]!)) {
      if (field === "dns.qry.type" || e === body) this.mismatch(field, "Integer", "an integer such as 28");
      this.mismatch(field, "Integer", "an integer such as 20");
    }
    const negative = body > at;
    const text = s.slice(body, e);
    let literal: string | null = null;
    if (!negative && /^0x[0-9a-fA-F]+$/.test(text)) literal = text;
    else if (!negative && text.length > 1 && text[0] === "0") literal = /^0[0-7]+$/.test(text) ? `0o${text.slice(1)}` : null;
    else if (/^[0-9]+$/.test(text)) literal = (negative ? "-" : "") + text;
    if (literal === null || (s[e] === "." && s[e + 1] !== ".") || s[e] === ":") {
      let end = e;
      while (end < s.length && (isIdent(s.charCodeAt(end)) || s[end] === ":" || s[end] === "/")) end++;
      this.fail(`${JSON.stringify(s.slice(at, end))} is not an integer (${field} is an Integer field: decimal, 0x hexadecimal or 0-led octal)`, at);
    }
    const big = BigInt(literal);
    if (big > 9223372036854775807n || big < -9223372036854775808n) this.fail(`${s.slice(at, e)} is out of range for a 64-bit integer`, at);
    this.pos = e;
    return Number(big);
  }

  private parseIntRange(field: Field): [number, number] {
    const at = this.pos;
    const lo = this.parseInt(field);
    if (this.s.startsWith("..", this.pos)) {
      this.pos += 2;
      const hi = this.parseInt(field);
      if (hi < lo) this.fail(`the range ${this.s.slice(at, this.pos)} ends before it starts`, at);
      return [lo, hi];
    }
    return [lo, lo];
  }

  /** `{ item item ... }`: items separated by spaces, possibly none. */
  private parseSet<T>(item: () => T): T[] {
    const s = this.s;
    if (s[this.pos] === "$") this.fail("lists ($name) are not supported: Cloudflare load balancing rules do not support lists; write the values inline, e.g. in {...}");
    if (s[this.pos] !== "{") this.fail(`"in" takes a set of values in braces, e.g. in {1 28}, found ${this.shown()}`);
    const open = this.pos;
    this.pos++;
    const out: T[] = [];
    for (;;) {
      this.ws();
      if (this.pos >= s.length) this.fail(`the set opened at offset ${open} is not closed with "}"`);
      if (s[this.pos] === "}") {
        this.pos++;
        return out;
      }
      if (s[this.pos] === ",") this.fail("the values of a set are separated by spaces, not commas");
      out.push(item());
      const c = this.pos < s.length ? s.charCodeAt(this.pos) : -1;
      if (c !== -1 && !isSpace(c) && c !== 125 /* } */) {
        if (c === 44) this.fail("the values of a set are separated by spaces, not commas");
        this.fail(`unexpected ${this.shown()} in the set`);
      }
    }
  }

  // --- IP address ------------------------------------------------------------------------------

  private ipComparison(field: Field, op: Op, opAt: number): Pred {
    if (op !== "eq" && op !== "ne" && op !== "in") {
      this.fail(`${field} is an IP address field: it supports ==, != and in {...}, not ${OP_TEXT[op]}`, opAt);
    }
    if (op === "in") {
      const items = this.parseSet(() => this.parseIpItem(field));
      return (i) => {
        const c = i.client;
        for (let k = 0; k < items.length; k++) if (ipItemMatches(c, items[k]!)) return true;
        return false;
      };
    }
    const at = this.pos;
    const chunk = this.ipChunk(field);
    if (chunk.includes("/")) this.fail(`${chunk} is a CIDR range: use ${field} in {${chunk}} to match a range`, at);
    if (chunk.includes("..")) this.fail(`${chunk} is an address range: use ${field} in {${chunk}} to match a range`, at);
    const ip = parseIp(chunk);
    if (ip === null) this.fail(`${JSON.stringify(chunk)} is not an IP address`, at);
    const full = ip.bytes.length * 8;
    const eq: Pred = (i) => knownPrefixMatches(i.client, ip.family, ip.bytes, full);
    return op === "eq" ? eq : (i) => !eq(i);
  }

  private ipChunk(field: Field): string {
    const s = this.s;
    const at = this.pos;
    let e = at;
    while (e < s.length && isIpChar(s.charCodeAt(e))) e++;
    if (e === at || (e < s.length && isIdent(s.charCodeAt(e)))) {
      if (e === at) this.mismatch(field, "IP address", "an IP address such as 192.0.2.1 or 2001:db8::1 (not quoted)");
      let end = e;
      while (end < s.length && (isIdent(s.charCodeAt(end)) || isIpChar(s.charCodeAt(end)))) end++;
      this.fail(`${JSON.stringify(s.slice(at, end))} is not an IP address`, at);
    }
    this.pos = e;
    return s.slice(at, e);
  }

  private parseIpItem(field: Field): IpItem {
    const at = this.pos;
    const chunk = this.ipChunk(field);
    const dots = chunk.indexOf("..");
    if (dots >= 0) {
      const lo = parseIp(chunk.slice(0, dots));
      const hi = parseIp(chunk.slice(dots + 2));
      if (lo === null) this.fail(`${JSON.stringify(chunk.slice(0, dots))} is not an IP address`, at);
      if (hi === null) this.fail(`${JSON.stringify(chunk.slice(dots + 2))} is not an IP address`, at + dots + 2);
      if (lo.family !== hi.family) this.fail(`the range ${chunk} mixes IPv4 and IPv6`, at);
      if (compareBytes(lo.bytes, hi.bytes) > 0) this.fail(`the range ${chunk} ends before it starts`, at);
      return { kind: "range", family: lo.family, lo: lo.bytes, hi: hi.bytes };
    }
    const slash = chunk.indexOf("/");
    const addrText = slash < 0 ? chunk : chunk.slice(0, slash);
    const ip = parseIp(addrText);
    if (ip === null) this.fail(`${JSON.stringify(addrText)} is not an IP address`, at);
    const full = ip.bytes.length * 8;
    if (slash < 0) return { kind: "cidr", family: ip.family, bytes: ip.bytes, prefix: full };
    const prefixText = chunk.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > full) {
      this.fail(`bad CIDR ${chunk}: the prefix length must be 0 to ${full}`, at + slash + 1);
    }
    const prefix = Number(prefixText);
    const net = Uint8Array.from(ip.bytes);
    for (let k = 0; k < net.length; k++) {
      const keep = Math.max(0, Math.min(8, prefix - k * 8));
      net[k]! &= (0xff << (8 - keep)) & 0xff;
    }
    if (compareBytes(net, ip.bytes) !== 0) {
      const shownNet = ip.family === 4 ? formatIPv4(net) : formatIPv6(net);
      this.fail(`bad CIDR ${chunk}: host bits are set beyond /${prefix} (did you mean ${shownNet}/${prefix}?)`, at);
    }
    return { kind: "cidr", family: ip.family, bytes: net, prefix };
  }

  // --- String ----------------------------------------------------------------------------------

  private source(field: Field): StringSource {
    switch (field) {
      case "dns.qry.name": return { get: (i) => i.qname, dot: true };
      case "cf.load_balancer.name": return { get: (i) => i.loadBalancer, dot: false };
      case "dns.rr.opt.client.addr": return { get: (i) => i.ecs?.address ?? "", dot: false };
      default: {
        const st = this.state;
        return { get: (i) => st.region ?? (st.region = i.location().region ?? ""), dot: false };
      }
    }
  }

  /** The literal as compared: names case-insensitively (both name fields lower case); equality forms canonical. */
  private canonical(field: Field, lit: string, equality: boolean): string {
    if (field === "dns.qry.name" || field === "cf.load_balancer.name") {
      let v = lit.replace(/[A-Z]+/g, (u) => u.toLowerCase());
      if (equality && field === "dns.qry.name" && v !== "" && !v.endsWith(".")) v += ".";
      if (equality && field === "cf.load_balancer.name" && v.length > 1 && v.endsWith(".")) v = v.slice(0, -1);
      return v;
    }
    if (equality && field === "dns.rr.opt.client.addr") {
      const ip = parseIp(lit);
      if (ip !== null) return ip.family === 4 ? formatIPv4(ip.bytes) : formatIPv6(ip.bytes);
    }
    return lit;
  }

  private stringLiteral(field: Field): string {
    const c = this.s[this.pos];
    if (c === '"' || (c === "r" && (this.s[this.pos + 1] === '"' || this.s[this.pos + 1] === "#"))) return this.parseString();
    this.mismatch(field, "String", 'a string in double quotes such as "example.com." (or a raw string r"...")');
  }

  private stringComparison(field: Field, op: Op): Pred {
    const src = this.source(field);
    const { get, dot } = src;
    /** dns.qry.name compares input.qname with the literal less its final dot (null: never equal). */
    const head = (lit: string): string | null => (!dot ? lit : lit.endsWith(".") ? lit.slice(0, -1) : null);
    if (op === "in") {
      const set = new Set<string>();
      for (const lit of this.parseSet(() => this.stringLiteral(field))) {
        const h = head(this.canonical(field, lit, true));
        if (h !== null) set.add(h);
      }
      return (i) => set.has(get(i));
    }
    const litAt = this.pos;
    const raw = this.stringLiteral(field);
    switch (op) {
      case "eq":
      case "ne": {
        const h = head(this.canonical(field, raw, true));
        if (h === null) return op === "eq" ? () => false : TRUE;
        return op === "eq" ? (i) => get(i) === h : (i) => get(i) !== h;
      }
      case "lt":
      case "le":
      case "gt":
      case "ge": {
        const lit = this.canonical(field, raw, false);
        switch (op) {
          case "lt": return (i) => compareTo(get(i), dot, lit) < 0;
          case "le": return (i) => compareTo(get(i), dot, lit) <= 0;
          case "gt": return (i) => compareTo(get(i), dot, lit) > 0;
          default: return (i) => compareTo(get(i), dot, lit) >= 0;
        }
      }
      case "contains": {
        const lit = this.canonical(field, raw, false);
        const litHead = lit.endsWith(".") ? lit.slice(0, -1) : null;
        return (i) => containsIn(get(i), dot, lit, litHead);
      }
      default: {
        const w = this.wildcard(this.canonical(field, raw, false), op === "wildcard", litAt);
        return (i) => wildcardMatch(get(i), dot, w);
      }
    }
  }

  /** Wildcard pattern: `*` any run, `\*` a star, `\\` a backslash; `**` is invalid (as Cloudflare's). */
  private wildcard(pattern: string, fold: boolean, at: number): Wildcard {
    const segments: Uint16Array[] = [];
    let current: number[] = [];
    let prevStar = false;
    for (let k = 0; k < pattern.length; k++) {
      const c = pattern.charCodeAt(k);
      if (c === 92 /* \ */) {
        const n = pattern.charCodeAt(k + 1);
        if (n !== 42 && n !== 92) this.fail('invalid escape in the wildcard pattern: only \\* (a star) and \\\\ (a backslash) are allowed', at);
        current.push(fold ? foldAscii(n) : n);
        k++;
        prevStar = false;
      } else if (c === 42 /* * */) {
        if (prevStar) this.fail("the wildcard pattern contains a double star (**), which Cloudflare rejects", at);
        segments.push(Uint16Array.from(current));
        current = [];
        prevStar = true;
      } else {
        current.push(fold ? foldAscii(c) : c);
        prevStar = false;
      }
    }
    segments.push(Uint16Array.from(current));
    return { segments, fold };
  }

  /** `"..."` with \" \\ \xHH \OOO escapes, or r"..." / r#"..."# raw; the bytes must be UTF-8. */
  private parseString(): string {
    const s = this.s;
    const at = this.pos;
    if (s[at] === "r") {
      let hashes = 0;
      let k = at + 1;
      while (s[k] === "#") hashes++, k++;
      if (hashes > 255) this.fail("a raw string takes at most 255 #", at);
      if (s[k] !== '"') this.fail('expected " after r and its #s', k);
      const closing = '"' + "#".repeat(hashes);
      const end = s.indexOf(closing, k + 1);
      if (end < 0) this.fail("the raw string is not closed: missing its ending quote" + (hashes > 0 ? ` and ${hashes} #` : ""), at);
      this.pos = end + closing.length;
      return s.slice(k + 1, end);
    }
    const bytes: number[] = [];
    let k = at + 1;
    for (;;) {
      if (k >= s.length) this.fail("the string is not closed: missing its ending quote", at);
      const c = s.codePointAt(k)!;
      if (c === 34) break;
      if (c === 92) {
        const e = s[k + 1];
        if (e === '"' || e === "\\") {
          bytes.push(e.charCodeAt(0));
          k += 2;
        } else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(s.slice(k + 2, k + 4))) {
          bytes.push(parseInt(s.slice(k + 2, k + 4), 16));
          k += 4;
        } else if (e !== undefined && /^[0-7]{3}$/.test(s.slice(k + 1, k + 4)) && parseInt(s.slice(k + 1, k + 4), 8) <= 255) {
          bytes.push(parseInt(s.slice(k + 1, k + 4), 8));
          k += 4;
        } else {
          this.fail('invalid escape in the string: use \\" \\\\ \\xHH or \\OOO (three octal digits)', k);
        }
        continue;
      }
      pushUtf8(bytes, c);
      k += c > 0xffff ? 2 : 1;
    }
    this.pos = k + 1;
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      this.fail("the string's escapes do not form UTF-8 text", at);
    }
  }
}

function pushUtf8(out: number[], c: number): void {
  if (c < 0x80) out.push(c);
  else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
  else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
}

function parseIp(text: string): IpValue | null {
  if (text.includes(".") && !text.includes(":")) {
    const v4 = parseIPv4(text);
    return v4 === null ? null : { family: 4, bytes: Uint8Array.from(v4) };
  }
  const v6 = text.includes(":") ? parseIPv6(text) : null;
  return v6 === null ? null : { family: 6, bytes: Uint8Array.from(v6) };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < a.length && k < b.length; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return a.length - b.length;
}

/** Character offset where the text passes MAX_EXPRESSION_BYTES in UTF-8, or -1. */
function overLimit(text: string): number {
  if (text.length * 3 <= MAX_EXPRESSION_BYTES) return -1;
  let bytes = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3;
    if (bytes > MAX_EXPRESSION_BYTES) return k;
  }
  return -1;
}

/** The supported field nearest to `name` by edit distance, if near enough to be a typo. */
function suggest(name: string): Field | null {
  let best: Field | null = null;
  let bestDistance = Infinity;
  for (const f of FIELDS.keys()) {
    const d = editDistance(name, f);
    if (d < bestDistance) {
      bestDistance = d;
      best = f;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, k) => k);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
