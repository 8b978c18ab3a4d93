/**
 * Whether an on/off environment variable is on: `1`, `true` or `yes`, in any
 * case. Anything else, unset included, is off. (A comparison, not a regex:
 * the preload reads these at every app launch.)
 */
export function envFlag(value: string | undefined): boolean {
  if (value === undefined || value.length > 4) return false;
  const v = value.toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}
