/** The options of this process that tell Node how to load modules (a worker refuses V8 and process-wide flags). */
function loaderArguments(): string[] {
  const kept: string[] = [];
  const argv = process.execArgv;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (/^(--require|-r|--import|--loader|--experimental-loader|--conditions|-C)$/.test(argument)) {
      kept.push(argument, argv[++index] as string);
    } else if (/^--(require|import|loader|experimental-loader|conditions)=/.test(argument)) {
      kept.push(argument);
    }
  }
  return kept;
}

/**
 * Where a worker thread whose module is `name` (without extension, beside `from`, an `import.meta.url`) starts:
 * the compiled `.js` file, or the TypeScript source through tsx when this process runs from sources (tsx, vitest),
 * with the loader options and the `@tributary/source` condition it needs.
 */
export function threadEntry(from: string, name: string): { url: URL; execArgv?: string[] } {
  if (from.endsWith(".js")) return { url: new URL(`./${name}.js`, from) };
  const inherited = loaderArguments();
  const tsx = inherited.some((argument) => argument.includes("tsx"));
  return {
    url: new URL(`./${name}.ts`, from),
    execArgv: [...inherited, ...(tsx ? [] : ["--import", "tsx"]), "--conditions=@tributary/source"],
  };
}
