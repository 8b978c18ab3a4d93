/** The `yaml` package's API. */
export type YamlLib = typeof import('yaml');

let lib: YamlLib | undefined;

/**
 * The `yaml` package, loaded on first use. Every command looks for a
 * `.sops.yaml` (and `audit` for a policy), but most find none: loading the
 * parser (dist/vendor/yaml.cjs, 160 kB, compiled without a code cache) only
 * when there is YAML to read saves each of them several milliseconds.
 * `require` is there in every build (see crypto/selector.ts, which loads
 * re2js the same way).
 */
export function yamlLib(): YamlLib {
  return (lib ??= require('yaml') as YamlLib);
}
