// Command-line arguments of the scripts: `--name value` options (a bare `--flag` is true) and
// positional words.
import { UserError } from './chain.mjs';

/** Splits `argv` into { positional, options }. */
export function parseArgs(argv) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) options[name] = true;
      else { options[name] = next; i += 1; }
    } else positional.push(arg);
  }
  return { positional, options };
}

/** The options named in `defaults`, each as given or else its default; each needs a value. */
export function withDefaults(options, defaults) {
  const values = { ...defaults };
  for (const name of Object.keys(defaults)) {
    if (options[name] === true) throw new UserError(`--${name}: expected a value`);
    if (options[name] !== undefined) values[name] = options[name];
  }
  return values;
}
