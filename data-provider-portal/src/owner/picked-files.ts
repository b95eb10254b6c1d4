import {
  type ChoiceHints,
  chooseDatasetFiles,
  type DatasetFileBytes,
  type DatasetFileChoice,
  type DatasetFileFormat,
  type DatasetFiles,
  type ReadDataset,
  readDatasetFiles,
} from "@tributary/protocol";

/** How the enrolment form reads the picked files (the CLI's `--format`, `--label-column`, `--num-classes`). */
export interface PickedReadOptions {
  /** Undefined: the one format the picked files have. */
  readonly format: DatasetFileFormat | undefined;
  readonly labelColumn: string;
  readonly numClasses: number;
}

/** A dataset read in the browser from the files an owner picked: which files, its manifest and commitment. */
export interface PickedDataset extends ReadDataset {
  readonly choice: DatasetFileChoice;
  /** The picked files the manifest does not cover (held-out records, a manifest written before, anything else). */
  readonly ignored: readonly string[];
}

/** How the form asks for a format or for other files, where the CLI names its flags. */
const FORM_HINTS: ChoiceHints = {
  format: "choose one in “Format”",
  data: (format) =>
    `pick only the training records${format === "idx" ? " (one images and one labels file)" : ""}, or their folder`,
};

/** The part of a `File` the reader needs (a `File` in the page, anything with bytes and a name in a test). */
export interface PickedFile {
  readonly name: string;
  /** The path under the folder picked (`webkitRelativePath`), empty when single files were picked. */
  readonly webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Chooses the dataset's files among those picked exactly as `tributary dataset enrol DIR` chooses them in a folder
 * (protocol's `chooseDatasetFiles`: one dataset in one format, a held-out split set aside), reads them in memory
 * (never uploaded) and builds the manifest and commitment with protocol's `readDatasetFiles`, the code the CLI and
 * the trainer run. Files in subfolders of a picked folder are not part of it, as `readdir` does not descend.
 */
export async function readPickedDataset(
  files: readonly PickedFile[],
  options: PickedReadOptions,
): Promise<PickedDataset> {
  const topLevel = files.filter((file) => (file.webkitRelativePath ?? "").split("/").length <= 2);
  const byName = new Map(topLevel.map((file) => [file.name, file]));
  const choice = chooseDatasetFiles([...byName.keys()], FORM_HINTS, options.format);
  const bytesOf = async (name: string): Promise<DatasetFileBytes> => {
    const file = byName.get(name) as PickedFile;
    const path =
      file.webkitRelativePath === undefined || file.webkitRelativePath === "" ? name : file.webkitRelativePath;
    return { name, path, bytes: new Uint8Array(await file.arrayBuffer()) };
  };
  const { data, labels } = choice.training;
  const source: DatasetFiles =
    choice.format === "idx"
      ? {
          format: "idx",
          parts: [{ images: await bytesOf(data), labels: await bytesOf(labels as string) }],
          numClasses: options.numClasses,
        }
      : choice.format === "csv"
        ? {
            format: "csv",
            files: [await bytesOf(data)],
            labelColumn: options.labelColumn,
            numClasses: options.numClasses,
          }
        : { format: "jsonl", files: [await bytesOf(data)], numClasses: options.numClasses };
  const read = await readDatasetFiles(source);
  const used = new Set([data, labels]);
  const ignored = files
    .filter((file) => !topLevel.includes(file) || !used.has(file.name))
    .map((file) => file.webkitRelativePath || file.name);
  return { ...read, choice, ignored };
}
