/**
 * How a plugin reaches the user: a registry, as for SSH passphrases
 * (`ssh/prompt.ts`), so that the CLI can register its terminal prompts at
 * start-up without loading the plugin client. The library and the preload
 * register nothing, so they never prompt: a plugin's questions are answered
 * `fail` there, as the specification allows when there is no UI.
 */

/** The user interface a plugin may use (the specification's `msg`, `request-*`, `confirm`). */
export interface PluginUi {
  /** Show a message from plugin `name`; false when it cannot be shown. */
  message(name: string, text: string): Promise<boolean>;
  /** Ask for a value (without echo when `secret`); null when there is no terminal to ask on. */
  requestValue(name: string, prompt: string, secret: boolean): Promise<string | null>;
  /** Ask to choose `yes` or `no` (no second choice when `no` is undefined); null when it cannot be asked. */
  confirm(name: string, prompt: string, yes: string, no: string | undefined): Promise<boolean | null>;
}

let current: PluginUi | undefined;

/**
 * Register (or, with undefined, remove) the user interface plugins use.
 * Only the CLI does this.
 */
export function setPluginUi(ui: PluginUi | undefined): void {
  current = ui;
}

/** The registered user interface, if any. */
export function pluginUi(): PluginUi | undefined {
  return current;
}
