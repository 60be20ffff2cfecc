// The wire codec's public face. See README.md in this folder.
export { decodeHeader, decodeMessage, encodeMessage, type EncodeOptions, type EncodeResult } from "./message.js";
export { decodeClientSubnet, encodeClientSubnet, decodeCookie, encodeCookie } from "./edns.js";
export { nameWireLength } from "./name.js";
export { parseIPv4, parseIPv6, formatIPv4, formatIPv6, canonicalIPv6 } from "./ip.js";
export * from "./types.js";
