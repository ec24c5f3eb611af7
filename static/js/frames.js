// Decoder of the binary visual frames of a job stream (format: app/frames.py).

const MAGIC = "NPF1";
const VIEWS = { uint8: Uint8Array, float32: Float32Array, int32: Int32Array };

/**
 * Decode one binary frame.
 * @param {ArrayBuffer} buffer
 * @returns {{header: object, arrays: Object<string, {values: TypedArray, shape: number[], range: number[]|null}>}}
 */
export function decodeFrame(buffer) {
  const magic = new TextDecoder().decode(new Uint8Array(buffer, 0, 4));
  if (magic !== MAGIC) throw new Error(`not a netplay frame (magic ${JSON.stringify(magic)})`);
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  const arrays = {};
  for (const entry of header.arrays) {
    const View = VIEWS[entry.dtype];
    if (!View) throw new Error(`unknown dtype ${entry.dtype}`);
    const start = 8 + headerLength + entry.offset;
    arrays[entry.name] = {
      values: new View(buffer, start, entry.nbytes / View.BYTES_PER_ELEMENT),
      shape: entry.shape,
      range: entry.range || null,
    };
  }
  return { header, arrays };
}

/** The real value a quantised uint8 code stands for. */
export function dequantize(code, range) {
  return range[0] + (code * (range[1] - range[0])) / 255;
}
