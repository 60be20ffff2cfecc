// SipHash-2-4 (Aumasson & Bernstein), 64-bit output, on 32-bit halves: no BigInt on the query path.
// Used for RFC 9018 server cookies.

// State: v0..v3 as [hi, lo] pairs in one array, reused.
const v = new Uint32Array(8);

function add(a: number, b: number): void {
  // v[a] += v[b] (64-bit)
  const lo = (v[a + 1]! + v[b + 1]!) >>> 0;
  const carry = lo < v[a + 1]! ? 1 : 0;
  v[a] = (v[a]! + v[b]! + carry) >>> 0;
  v[a + 1] = lo;
}
function rotl(a: number, n: number): void {
  const hi = v[a]!, lo = v[a + 1]!;
  if (n === 32) { v[a] = lo; v[a + 1] = hi; return; }
  if (n < 32) {
    v[a] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    v[a + 1] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
  } else {
    const m = n - 32;
    v[a] = ((lo << m) | (hi >>> (32 - m))) >>> 0;
    v[a + 1] = ((hi << m) | (lo >>> (32 - m))) >>> 0;
  }
}
function xor(a: number, b: number): void {
  v[a] = (v[a]! ^ v[b]!) >>> 0;
  v[a + 1] = (v[a + 1]! ^ v[b + 1]!) >>> 0;
}
const V0 = 0, V1 = 2, V2 = 4, V3 = 6;
function round(): void {
  add(V0, V1); rotl(V1, 13); xor(V1, V0); rotl(V0, 32);
  add(V2, V3); rotl(V3, 16); xor(V3, V2);
  add(V0, V3); rotl(V3, 21); xor(V3, V0);
  add(V2, V1); rotl(V1, 17); xor(V1, V2); rotl(V2, 32);
}

/** SipHash-2-4 of data[0..length) with a 16-byte key; writes 8 bytes (little-endian) into out at offset. */
export function siphash24(key: Uint8Array, data: Uint8Array, length: number, out: Uint8Array, offset = 0): void {
  const k0hi = readU32LE(key, 4), k0lo = readU32LE(key, 0), k1hi = readU32LE(key, 12), k1lo = readU32LE(key, 8);
  v[0] = (k0hi ^ 0x736f6d65) >>> 0; v[1] = (k0lo ^ 0x70736575) >>> 0;
  v[2] = (k1hi ^ 0x646f7261) >>> 0; v[3] = (k1lo ^ 0x6e646f6d) >>> 0;
  v[4] = (k0hi ^ 0x6c796765) >>> 0; v[5] = (k0lo ^ 0x6e657261) >>> 0;
  v[6] = (k1hi ^ 0x74656462) >>> 0; v[7] = (k1lo ^ 0x79746573) >>> 0;
  const whole = length - (length % 8);
  for (let i = 0; i < whole; i += 8) compress(readU32LE(data, i + 4), readU32LE(data, i));
  // Last block: remaining bytes, with the length's low byte in the top byte.
  let lo = 0, hi = (length & 0xff) << 24;
  for (let i = whole; i < length; i++) {
    const shift = (i - whole) * 8;
    if (shift < 32) lo |= data[i]! << shift;
    else hi |= data[i]! << (shift - 32);
  }
  compress(hi >>> 0, lo >>> 0);
  v[5] = (v[5]! ^ 0xff) >>> 0;
  round(); round(); round(); round();
  const rhi = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0;
  const rlo = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
  writeU32LE(out, offset, rlo);
  writeU32LE(out, offset + 4, rhi);
}

function compress(mhi: number, mlo: number): void {
  v[6] = (v[6]! ^ mhi) >>> 0; v[7] = (v[7]! ^ mlo) >>> 0;
  round(); round();
  v[0] = (v[0]! ^ mhi) >>> 0; v[1] = (v[1]! ^ mlo) >>> 0;
}

function readU32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}
function writeU32LE(b: Uint8Array, i: number, x: number): void {
  b[i] = x & 0xff; b[i + 1] = (x >>> 8) & 0xff; b[i + 2] = (x >>> 16) & 0xff; b[i + 3] = (x >>> 24) & 0xff;
}
