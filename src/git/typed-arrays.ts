/** A typed array the columns of a graph or an index grow by doubling. */
type Column = Int32Array | Uint8Array | Float64Array;

/** `array` copied into a new one of `size` (its new places `fill`, else 0). */
export function grown<T extends Column>(array: T, size: number, fill = 0): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  if (fill !== 0) bigger.fill(fill, array.length);
  bigger.set(array);
  return bigger;
}
