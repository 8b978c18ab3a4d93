/**
 * `string-width`, loaded on first use. yargs and its help layout (cliui,
 * wrap-ansi) import it, and its module body builds an `Intl.Segmenter` and a
 * Unicode-property regex: about 20 ms at every start of the CLI, though only
 * help and usage text ever measure a string. The build (scripts/build.mjs)
 * points their imports here; this module's own import reaches the package.
 */
type StringWidth = (text: string, options?: object) => number;

let impl: StringWidth | undefined;

/** The display width of `text`, as `string-width` computes it. */
export default function stringWidth(text: string, options?: object): number {
  impl ??= (require('string-width') as { default: StringWidth }).default;
  return impl(text, options);
}
