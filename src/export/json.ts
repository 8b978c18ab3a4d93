/** A flat JSON object of the values, for tools that read JSON. */

/**
 * Render the values as a JSON object of strings, keys in the order given
 * (except that JavaScript puts integer-like keys such as `"10"` first),
 * indented by 2 spaces, with a trailing newline.
 */
export function toJson(values: Readonly<Record<string, string>>): string {
  return `${JSON.stringify(values, null, 2)}\n`;
}
