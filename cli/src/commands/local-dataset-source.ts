import { TributaryError } from "@tributary/protocol";
import type { DatasetSource } from "@tributary/trainer-agent";

/** The flags that say where a data owner's records are (`trainer`, `c2d serve`). */
export interface LocalDataFlags {
  readonly format: "idx" | "csv" | "jsonl";
  readonly labelColumn: string;
  readonly numClasses: number;
}

/** The loader's source for `data` (and, for IDX, its `labels`) as the owner's flags describe it. */
export function localDatasetSource(flags: LocalDataFlags, data: string, labels: string | undefined): DatasetSource {
  const { format, numClasses } = flags;
  if (format === "idx") {
    if (labels === undefined)
      throw new TributaryError(
        "INVALID_INPUT",
        "--format idx needs --labels FILE (and --eval-labels with --eval-data)",
      );
    return { format, parts: [{ images: data, labels }], numClasses };
  }
  if (format === "csv") return { format, files: [data], labelColumn: flags.labelColumn, numClasses };
  return { format, files: [data], numClasses };
}
