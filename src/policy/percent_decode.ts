/**
 * Strict percent-decoding shared by the request-target and query parsers.
 *
 * `decodeURIComponent` is close but not enough: it cannot treat "+" as a
 * space, and callers need to know whether a byte came from an escape.
 */

const UTF8_DECODER = new TextDecoder("utf-8", {
  fatal: true,
  // Keep a leading BOM as a character so the caller sees it and can refuse it.
  ignoreBOM: true,
});

const HEX_PAIR_REGEXP = /^[0-9A-Fa-f]{2}$/;

/** Options for {@linkcode percentDecode}. */
export interface PercentDecodeOptions {
  /** Decode "+" as a space, as Go's `QueryUnescape` does. Default: false. */
  plusAsSpace?: boolean;
}

/**
 * Decodes `%XX` escapes exactly once and requires the result to be valid
 * UTF-8.
 *
 * The input must be printable ASCII; escapes are the only way to carry other
 * bytes, which is what both Go's `url.ParseRequestURI` and our canonical form
 * expect.
 *
 * @throws {URIError} on a malformed escape, a raw character outside printable
 * ASCII, or bytes that are not valid UTF-8
 *
 * @example
 * ```ts
 * percentDecode("%63ontainers"); // "containers"
 * percentDecode("a+b", { plusAsSpace: true }); // "a b"
 * ```
 */
export function percentDecode(
  text: string,
  options: PercentDecodeOptions = {},
): string {
  const bytes = new Uint8Array(text.length);
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x25) {
      const pair = text.slice(index + 1, index + 3);
      if (!HEX_PAIR_REGEXP.test(pair)) {
        throw new URIError(
          `Cannot percent-decode: invalid escape ${
            JSON.stringify(text.slice(index, index + 3))
          } in ${JSON.stringify(text)}`,
        );
      }
      bytes[length++] = parseInt(pair, 16);
      index += 2;
    } else if (code < 0x20 || code > 0x7e) {
      throw new URIError(
        `Cannot percent-decode: raw character ${
          JSON.stringify(text[index])
        } in ${JSON.stringify(text)}`,
      );
    } else {
      bytes[length++] = options.plusAsSpace && code === 0x2b ? 0x20 : code;
    }
  }
  try {
    return UTF8_DECODER.decode(bytes.subarray(0, length));
  } catch {
    throw new URIError(
      `Cannot percent-decode: escapes are not valid UTF-8 in ${
        JSON.stringify(text)
      }`,
    );
  }
}
